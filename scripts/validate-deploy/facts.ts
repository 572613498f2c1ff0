// Facts from the pinned upstream versions, written out as data (no upstream code is copied):
// - eksctl 0.230.0 (2026-08-13): the ClusterConfig JSON schema, pkg/apis/eksctl.io/v1alpha5/assets/
//   schema.json, reduced to "definition -> field -> the definition it refers to, or true". Every
//   object definition there sets additionalProperties false (IdentityProvider aside), so eksctl
//   refuses a key outside this list.
// - the Dapr Helm chart 1.18.3 (charts/dapr and its subcharts) and the AWS Load Balancer
//   Controller chart 1.14.1 (controller v2.14.1, aws/eks-charts): the keys of values.yaml plus
//   every .Values path the templates read. `true` marks a leaf or a free-form map. Helm ignores
//   an unknown key silently, which is why a typo must be caught here.
// - Dapr 1.18.3 pkg/injector/patcher/sidecar.go: how the injector parses each dapr.io/* annotation.
// - components-contrib 1.18.4: the metadata fields of state.redis (common/component/redis/
//   settings.go mapstructure names for state, and state/redis/metadata.yaml).
// Regenerate these when a pinned version changes; the tests pin a few facts so drift shows.

export type KeyTree = true | { [key: string]: KeyTree }

export const EKSCTL_VERSION = '0.230.0'
/** eksctl ClusterConfig schema: definition name -> field -> referenced definition, or true (a scalar, a free-form map, or a definition without fields). */
export const EKSCTL_SCHEMA: Record<string, true | Record<string, string | true>> = { ARN: true, AZSubnetMapping: true, AccessConfig: { accessEntries: 'AccessEntry', authenticationMode: 'github.com|aws|aws-sdk-go-v2|service|eks|types.AuthenticationMode', bootstrapClusterCreatorAdminPermissions: true }, AccessEntry: { accessPolicies: 'AccessPolicy', kubernetesGroups: true, kubernetesUsername: true, principalARN: 'ARN', type: true }, AccessPolicy: { accessScope: 'AccessScope', policyARN: 'ARN' }, AccessScope: { namespaces: true, type: 'github.com|aws|aws-sdk-go-v2|service|eks|types.AccessScopeType' }, Addon: { attachPolicy: 'InlineDocument', attachPolicyARNs: true, configurationValues: true, name: true, namespaceConfig: 'AddonNamespaceConfig', owners: true, permissionsBoundary: true, podIdentityAssociations: 'PodIdentityAssociation', publishers: true, resolveConflicts: 'github.com|aws|aws-sdk-go-v2|service|eks|types.ResolveConflicts', serviceAccountRoleARN: true, tags: true, types: true, useDefaultPodIdentityAssociations: true, version: true, wellKnownPolicies: 'WellKnownPolicies' }, AddonNamespaceConfig: { namespace: true }, AddonsConfig: { autoApplyPodIdentityAssociations: true, disableDefaultAddons: true }, ArgoCDAWSIDC: { idcInstanceArn: true, idcRegion: true }, ArgoCDConfiguration: { awsIdc: 'ArgoCDAWSIDC', namespace: true, networkAccess: 'ArgoCDNetworkAccess', rbacRoleMappings: 'ArgoCDRoleMapping' }, ArgoCDNetworkAccess: { vpceIds: true }, ArgoCDRoleMapping: { identities: 'SSOIdentity', role: true }, AutoModeConfig: { enabled: true, nodePools: true, nodeRoleARN: 'ARN', permissionsBoundaryARN: 'ARN' }, Capability: { accessPolicies: 'AccessPolicy', attachPolicy: 'InlineDocument', attachPolicyARNs: true, configuration: 'CapabilityConfiguration', deletePropagationPolicy: true, name: true, permissionsBoundary: true, roleArn: true, tags: true, type: true }, CapabilityConfiguration: { argocd: 'ArgoCDConfiguration' }, CapacityReservation: { capacityReservationPreference: true, capacityReservationTarget: 'CapacityReservationTarget' }, CapacityReservationTarget: { capacityReservationID: true, capacityReservationResourceGroupARN: true }, ClusterCloudWatch: { clusterLogging: 'ClusterCloudWatchLogging' }, ClusterCloudWatchLogging: { enableTypes: true, logRetentionInDays: true }, ClusterConfig: { accessConfig: 'AccessConfig', addons: 'Addon', addonsConfig: 'AddonsConfig', apiVersion: true, autoModeConfig: 'AutoModeConfig', availabilityZones: true, capabilities: 'Capability', cloudWatch: 'ClusterCloudWatch', controlPlaneScalingConfig: 'ControlPlaneScalingConfig', fargateProfiles: 'FargateProfile', gitops: 'GitOps', iam: 'ClusterIAM', iamIdentityMappings: 'IAMIdentityMapping', identityProviders: 'IdentityProvider', karpenter: 'Karpenter', kind: true, kubeAPIServerConfig: 'KubeAPIServerConfig', kubeControllerManagerConfig: 'KubeControllerManagerConfig', kubeSchedulerConfig: 'KubeSchedulerConfig', kubernetesNetworkConfig: 'KubernetesNetworkConfig', localZones: true, managedNodeGroups: 'ManagedNodeGroup', metadata: 'ClusterMeta', nodeGroups: 'NodeGroup', outpost: 'Outpost', privateCluster: 'PrivateCluster', remoteNetworkConfig: 'RemoteNetworkConfig', secretsEncryption: 'SecretsEncryption', upgradePolicy: 'UpgradePolicy', vpc: 'ClusterVPC', zonalShiftConfig: 'ZonalShiftConfig' }, ClusterEndpoints: { privateAccess: true, publicAccess: true }, ClusterIAM: { fargatePodExecutionRoleARN: true, fargatePodExecutionRolePermissionsBoundary: true, podIdentityAssociations: 'PodIdentityAssociation', serviceAccounts: 'ClusterIAMServiceAccount', serviceRoleARN: true, serviceRolePermissionsBoundary: true, vpcResourceControllerPolicy: true, withOIDC: true }, ClusterIAMMeta: { annotations: true, labels: true, name: true, namespace: true }, ClusterIAMServiceAccount: { attachPolicy: 'InlineDocument', attachPolicyARNs: true, attachRoleARN: true, metadata: 'ClusterIAMMeta', permissionsBoundary: true, roleName: true, roleOnly: true, status: 'ClusterIAMServiceAccountStatus', subjectPattern: true, tags: true, wellKnownPolicies: 'WellKnownPolicies' }, ClusterIAMServiceAccountStatus: { capabilities: true, roleARN: true, stackName: true, tags: true }, ClusterMeta: { annotations: true, forceUpdateVersion: true, name: true, region: true, rollbackConfig: 'RollbackConfig', tags: true, version: true }, ClusterNAT: { gateway: true }, ClusterSubnets: { private: 'AZSubnetMapping', public: 'AZSubnetMapping' }, ClusterVPC: { autoAllocateIPv6: true, cidr: 'github.com|weaveworks|eksctl|pkg|utils|ipnet.IPNet', clusterEndpoints: 'ClusterEndpoints', controlPlaneEgressMode: true, controlPlaneSecurityGroupIDs: true, controlPlaneSubnetIDs: true, extraCIDRs: true, extraIPv6CIDRs: true, hostnameType: true, id: true, ipv6Cidr: true, ipv6Pool: true, manageSharedNodeSecurityGroupRules: true, nat: 'ClusterNAT', publicAccessCIDRs: true, securityGroup: true, sharedNodeSecurityGroup: true, subnets: 'ClusterSubnets' }, ControlPlaneScalingConfig: { tier: true }, FargateProfile: { name: true, podExecutionRoleARN: true, selectors: 'FargateProfileSelector', status: true, subnets: true, tags: true }, FargateProfileSelector: { labels: true, namespace: true }, Flux: { flags: 'FluxFlags', gitProvider: true }, FluxFlags: true, GitOps: { flux: 'Flux' }, HorizontalPodAutoscalerControllerConfig: { horizontalPodAutoscalerSyncPeriod: true }, IAMIdentityMapping: { account: true, arn: true, groups: true, namespace: true, noDuplicateARNs: true, serviceName: true, username: true }, IdentityProvider: { type: true }, InlineDocument: true, InstanceMarketOptions: { marketType: true }, InstanceSelector: { allow: true, cpuArchitecture: true, deny: true, gpus: true, memory: true, neuron_devices: true, vCPUs: true }, Karpenter: { createServiceAccount: true, defaultInstanceProfile: true, version: true, withSpotInterruptionQueue: true }, KubeAPIServerConfig: { eventTTL: true, serviceNodePortRange: 'ServiceNodePortRange' }, KubeControllerManagerConfig: { horizontalPodAutoscalerControllerConfig: 'HorizontalPodAutoscalerControllerConfig' }, KubeSchedulerConfig: { nodeResourcesFit: 'NodeResourcesFitConfig' }, KubernetesNetworkConfig: { ipFamily: true, serviceIPv4CIDR: true, serviceIPv6CIDR: true }, LaunchTemplate: { id: true, version: true }, ManagedNodeGroup: { additionalVolumes: 'VolumeMapping', ami: true, amiFamily: true, asgSuspendProcesses: true, availabilityZones: true, bottlerocket: 'NodeGroupBottlerocket', capacityReservation: 'CapacityReservation', desiredCapacity: true, disableIMDSv1: true, disablePodIMDS: true, ebsOptimized: true, efaEnabled: true, enableDetailedMonitoring: true, iam: 'NodeGroupIAM', instanceMarketOptions: 'InstanceMarketOptions', instanceName: true, instancePrefix: true, instanceSelector: 'InstanceSelector', instanceType: true, instanceTypes: true, labels: true, launchTemplate: 'LaunchTemplate', maxPodsPerNode: true, maxSize: true, minSize: true, name: true, nodeRepairConfig: 'NodeGroupNodeRepairConfig', outpostARN: true, overrideBootstrapCommand: true, placement: 'Placement', preBootstrapCommands: true, privateNetworking: true, propagateASGTags: true, releaseVersion: true, securityGroups: 'NodeGroupSGs', spot: true, ssh: 'NodeGroupSSH', subnets: true, tags: true, taints: 'NodeGroupTaint', updateConfig: 'NodeGroupUpdateConfig', volumeEncrypted: true, volumeIOPS: true, volumeKmsKeyID: true, volumeName: true, volumeSize: true, volumeThroughput: true, volumeType: true }, MetricsCollection: { granularity: true, metrics: true }, NodeGroup: { additionalVolumes: 'VolumeMapping', ami: true, amiFamily: true, asgMetricsCollection: 'MetricsCollection', asgSuspendProcesses: true, availabilityZones: true, bottlerocket: 'NodeGroupBottlerocket', capacityReservation: 'CapacityReservation', classicLoadBalancerNames: true, clusterDNS: true, containerRuntime: true, cpuCredits: true, desiredCapacity: true, disableIMDSv1: true, disablePodIMDS: true, ebsOptimized: true, efaEnabled: true, enableDetailedMonitoring: true, enclaveEnabled: true, iam: 'NodeGroupIAM', instanceMarketOptions: 'InstanceMarketOptions', instanceName: true, instancePrefix: true, instanceSelector: 'InstanceSelector', instanceType: true, instancesDistribution: 'NodeGroupInstancesDistribution', kubeletExtraConfig: 'InlineDocument', labels: true, localZones: true, maxInstanceLifetime: true, maxPodsPerNode: true, maxSize: true, minSize: true, name: true, outpostARN: true, overrideBootstrapCommand: true, placement: 'Placement', preBootstrapCommands: true, privateNetworking: true, propagateASGTags: true, securityGroups: 'NodeGroupSGs', ssh: 'NodeGroupSSH', subnets: true, tags: true, taints: 'taintsWrapper', targetGroupARNs: true, updateConfig: 'NodeGroupUpdateConfig', volumeEncrypted: true, volumeIOPS: true, volumeKmsKeyID: true, volumeName: true, volumeSize: true, volumeThroughput: true, volumeType: true }, NodeGroupBottlerocket: { enableAdminContainer: true, settings: 'InlineDocument' }, NodeGroupIAM: { attachPolicy: 'InlineDocument', attachPolicyARNs: true, instanceProfileARN: true, instanceRoleARN: true, instanceRoleName: true, instanceRolePermissionsBoundary: true, withAddonPolicies: 'NodeGroupIAMAddonPolicies' }, NodeGroupIAMAddonPolicies: { albIngress: true, appMesh: true, appMeshPreview: true, autoScaler: true, awsLoadBalancerController: true, certManager: true, cloudWatch: true, ebs: true, efs: true, externalDNS: true, fsx: true, imageBuilder: true, xRay: true }, NodeGroupInstancesDistribution: { capacityRebalance: true, instanceTypes: true, maxPrice: true, onDemandBaseCapacity: true, onDemandPercentageAboveBaseCapacity: true, spotAllocationStrategy: true, spotInstancePools: true }, NodeGroupNodeRepairConfig: { enabled: true, maxParallelNodesRepairedCount: true, maxParallelNodesRepairedPercentage: true, maxUnhealthyNodeThresholdCount: true, maxUnhealthyNodeThresholdPercentage: true, nodeRepairConfigOverrides: 'NodeRepairConfigOverride' }, NodeGroupSGs: { attachIDs: true, withLocal: true, withShared: true }, NodeGroupSSH: { allow: true, enableSsm: true, publicKey: true, publicKeyName: true, publicKeyPath: true, sourceSecurityGroupIds: true }, NodeGroupTaint: { effect: 'k8s.io|api|core|v1.TaintEffect', key: true, value: true }, NodeGroupUpdateConfig: { maxUnavailable: true, maxUnavailablePercentage: true }, NodeRepairConfigOverride: { minRepairWaitTimeMins: true, nodeMonitoringCondition: true, nodeUnhealthyReason: true, repairAction: true }, NodeResourcesFitConfig: { scoringStrategy: 'ScoringStrategy' }, Outpost: { controlPlaneInstanceType: true, controlPlaneOutpostARN: true, controlPlanePlacement: 'Placement', etcdInstanceType: true, etcdPlacement: 'Placement' }, Placement: { groupName: true, spreadLevel: true }, PodIdentityAssociation: { createServiceAccount: true, disableSessionTags: true, namespace: true, permissionPolicy: 'InlineDocument', permissionPolicyARNs: true, permissionPolicyName: true, permissionsBoundaryARN: true, policy: true, roleARN: true, roleName: true, serviceAccountName: true, tags: true, targetRoleARN: true, wellKnownPolicies: 'WellKnownPolicies' }, PrivateCluster: { additionalEndpointServices: true, enabled: true, skipEndpointCreation: true }, RemoteNetwork: { cidrs: true }, RemoteNetworkConfig: { iam: 'RemoteNodesIAM', remoteNodeNetworks: 'RemoteNetwork', remotePodNetworks: 'RemoteNetwork', vpcGatewayID: 'VPCGateway' }, RemoteNodesIAM: { caBundleCert: true, provider: true, roleARN: true }, ResourceWeight: { name: true, weight: true }, RollbackConfig: { timeoutMinutes: true }, SSOIdentity: { id: true, type: true }, ScoringStrategy: { resources: 'ResourceWeight', type: true }, SecretsEncryption: { keyARN: true }, ServiceNodePortRange: { maxPort: true, minPort: true }, UpgradePolicy: { supportType: true }, VPCGateway: true, VolumeMapping: { snapshotID: true, volumeEncrypted: true, volumeIOPS: true, volumeKmsKeyID: true, volumeName: true, volumeSize: true, volumeThroughput: true, volumeType: true }, WellKnownPolicies: { autoScaler: true, awsLoadBalancerController: true, certManager: true, ebsCSIController: true, efsCSIController: true, externalDNS: true, imageBuilder: true }, ZonalShiftConfig: { enabled: true }, 'github.com|aws|aws-sdk-go-v2|service|eks|types.AccessScopeType': true, 'github.com|aws|aws-sdk-go-v2|service|eks|types.AuthenticationMode': true, 'github.com|aws|aws-sdk-go-v2|service|eks|types.ResolveConflicts': true, 'github.com|weaveworks|eksctl|pkg|utils|ipnet.IPNet': true, 'k8s.io|api|core|v1.TaintEffect': true, taintsWrapper: true }

export const DAPR_CHART_VERSION = '1.18.3'
export const DAPR_CHART_VALUES: KeyTree = { dapr_config: { component: true, dapr_config_chart_included: true, dapr_default_system_config_name: true, fullnameOverride: true, nameOverride: true }, dapr_operator: { apiService: { annotations: true, type: true }, component: true, debug: { enabled: true, initialDelaySeconds: true, port: true }, deploymentAnnotations: true, extraEnvVars: true, fullnameOverride: true, image: { name: true }, livenessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, logLevel: true, maxPodRestartsPerMinute: true, nameOverride: true, ports: { port: true, protocol: true, targetPort: true }, readinessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, replicaCount: true, resources: true, runAsNonRoot: true, serviceReconciler: { enabled: true }, watchInterval: true, watchNamespace: true, webhookService: { annotations: true, type: true } }, dapr_placement: { cluster: { forceInMemoryLog: true, logStorePath: true, logStoreWinPath: true }, component: true, debug: { enabled: true, initialDelaySeconds: true, port: true }, disseminateCoalesceWindow: true, disseminateTimeout: true, extraEnvVars: true, fsGroup: true, fullnameOverride: true, ha: true, image: { name: true }, keepAliveTime: true, keepAliveTimeout: true, livenessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, logLevel: true, maxActorApiLevel: true, metadataEnabled: true, minActorApiLevel: true, nameOverride: true, ports: { apiPort: true, protocol: true, raftRPCPort: true }, readinessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, replicationFactor: true, resources: true, runAsNonRoot: true, scaleZero: true, service: { annotations: true }, statefulsetAnnotations: true, volumeclaims: { storageClassName: true, storageSize: true } }, dapr_rbac: { component: true, fullnameOverride: true, nameOverride: true, secretReader: { enabled: true, namespace: true }, serviceAccount: { injector: { annotations: true }, operator: { annotations: true }, placement: { annotations: true }, scheduler: { annotations: true }, sentry: { annotations: true } } }, dapr_scheduler: { cluster: { etcdDataDirPath: true, etcdDataDirWinPath: true, inMemoryStorage: true, storageClassName: true, storageSize: true }, component: true, debug: { enabled: true, initialDelaySeconds: true, port: true }, etcdBackendBatchInterval: true, etcdBackendBatchLimit: true, etcdClientEndpoints: true, etcdClientPassword: true, etcdClientUsername: true, etcdCompactionMode: true, etcdCompactionRetention: true, etcdDefragThresholdMB: true, etcdEmbed: true, etcdInitialElectionTickAdvance: true, etcdMaxSnapshots: true, etcdMaxTxnOps: true, etcdMaxWals: true, etcdMetrics: true, etcdSnapshotCount: true, etcdSpaceQuota: true, extraEnvVars: true, fullnameOverride: true, image: { name: true }, livenessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, logLevel: true, nameOverride: true, overrideBroadcastHostPort: true, ports: { etcdGRPCClientPort: true, etcdGRPCPeerPort: true, protocol: true }, readinessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, resources: true, securityContext: { fsGroup: true, runAsNonRoot: true }, service: { annotations: true }, statefulsetAnnotations: true, workers: true }, dapr_sentry: { component: true, debug: { enabled: true, initialDelaySeconds: true, port: true }, deploymentAnnotations: true, extraEnvVars: true, fullnameOverride: true, image: { name: true }, jwt: { enabled: true, issuer: true, jwksFilename: true, keyFilename: true, keyID: true, signingAlgorithm: true }, livenessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, logLevel: true, mode: true, nameOverride: true, oidc: { allowedHosts: true, enabled: true, jwksURI: true, pathPrefix: true, server: { port: true }, tls: { certFile: true, enabled: true, keyFile: true } }, ports: { port: true, protocol: true, targetPort: true }, readinessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, replicaCount: true, resources: true, runAsNonRoot: true, service: { annotations: true, type: true }, tls: { issuer: { certPEM: true, keyPEM: true }, root: { certPEM: true }, trustDomain: true } }, dapr_sidecar_injector: { allowedServiceAccounts: true, allowedServiceAccountsPrefixNames: true, component: true, debug: { enabled: true, initialDelaySeconds: true, port: true }, deploymentAnnotations: true, enableK8sDownwardAPIs: true, enabled: true, extraEnvVars: true, fullnameOverride: true, healthzPort: true, hostNetwork: true, ignoreEntrypointTolerations: true, image: { name: true }, injectorImage: { name: true }, kubeClusterDomain: true, livenessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, logLevel: true, nameOverride: true, namespaceSelector: true, nativeSidecar: true, objectSelector: true, readinessProbe: { failureThreshold: true, initialDelaySeconds: true, periodSeconds: true }, replicaCount: true, resources: true, runAsNonRoot: true, service: { annotations: true, type: true }, sidecarDropALLCapabilities: true, sidecarImagePullPolicy: true, sidecarReadOnlyRootFilesystem: true, sidecarRunAsGroup: true, sidecarRunAsNonRoot: true, sidecarRunAsUser: true, webhookFailurePolicy: true }, fullnameOverride: true, global: { actors: { enabled: true, serviceName: true }, argoRolloutServiceReconciler: { enabled: true }, daprControlPlaneArch: true, daprControlPlaneOs: true, dnsSuffix: true, extraContainers: true, extraVolumeMounts: true, extraVolumes: true, ha: { disruption: { maximumUnavailable: true, minimumAvailable: true }, enabled: true, podAntiAffinityPolicy: true, replicaCount: true, topologyKey: true }, imagePullPolicy: true, imagePullSecrets: true, initContainers: true, issuerFilenames: true, k8sLabels: { 'app.kubernetes.io/component': true, 'app.kubernetes.io/managed-by': true, 'app.kubernetes.io/name': true, 'app.kubernetes.io/part-of': true, 'app.kubernetes.io/version': true }, labels: true, logAsJson: true, mtls: { allowedClockSkew: true, controlPlaneTrustDomain: true, enabled: true, mountSentryVolume: true, sentryAddress: true, workloadCertTTL: true }, nodeSelector: true, operator: { watchdogCanPatchPodLabels: true }, priorityClassName: true, prometheus: { enabled: true, port: true }, rbac: { namespaced: true }, registry: true, reminders: { serviceName: true }, scheduler: { enabled: true }, seccompProfile: true, tag: true, tolerations: true }, nameOverride: true }

export const LBC_CHART_VERSION = '1.14.1'
export const LBC_APP_VERSION = 'v2.14.1'
export const LBC_CHART_VALUES: KeyTree = { additionalLabels: true, affinity: true, annotations: true, autoscaling: { autoscaleBehavior: true, enabled: true, maxReplicas: true, minReplicas: true, targetCPUUtilizationPercentage: true }, awsApiEndpoints: true, awsApiThrottle: true, awsMaxRetries: true, backendSecurityGroup: true, certDiscovery: { allowedCertificateAuthorityARNs: true }, certManager: { duration: true, renewBefore: true, revisionHistoryLimit: true }, cluster: { dnsDomain: true }, clusterName: true, clusterSecretsPermissions: { allowAllSecrets: true }, configureDefaultAffinity: true, controllerConfig: { featureGates: true }, createIngressClassResource: true, creator: true, defaultSSLPolicy: true, defaultTags: true, defaultTargetType: true, deploymentAnnotations: true, disableIngressClassAnnotation: true, disableIngressGroupNameAnnotation: true, disableRestrictedSecurityGroupRules: true, dnsPolicy: true, enableBackendSecurityGroup: true, enableCertManager: true, enableEndpointSlices: true, enableManageBackendSecurityGroupRules: true, enablePodReadinessGateInject: true, enableServiceMutatorWebhook: true, enableShield: true, enableWaf: true, enableWafv2: true, env: true, envFrom: true, envSecretName: true, externalManagedTags: true, extraVolumeMounts: true, extraVolumes: true, fullnameOverride: true, hostNetwork: true, image: { pullPolicy: true, repository: true, tag: true }, imagePullSecrets: true, ingressClass: true, ingressClassConfig: { default: true }, ingressClassParams: { create: true, name: true, spec: true }, ingressMaxConcurrentReconciles: true, keepTLSSecret: true, lbStabilizationMonitorInterval: true, livenessProbe: { failureThreshold: true, httpGet: { path: true, port: true, scheme: true }, initialDelaySeconds: true, timeoutSeconds: true }, loadBalancerClass: true, logLevel: true, metricsBindAddr: true, nameOverride: true, nodeSelector: true, objectSelector: { matchExpressions: true, matchLabels: true }, podAnnotations: true, podDisruptionBudget: true, podLabels: true, podMutatorWebhookConfig: { failurePolicy: true }, podSecurityContext: { fsGroup: true }, priorityClassName: true, rbac: { create: true }, readinessProbe: { failureThreshold: true, httpGet: { path: true, port: true, scheme: true }, initialDelaySeconds: true, successThreshold: true, timeoutSeconds: true }, region: true, replicaCount: true, resources: true, revisionHistoryLimit: true, runtimeClassName: true, securityContext: { allowPrivilegeEscalation: true, readOnlyRootFilesystem: true, runAsNonRoot: true }, serviceAccount: { annotations: true, automountServiceAccountToken: true, create: true, imagePullSecrets: true, name: true }, serviceAnnotations: true, serviceMaxConcurrentReconciles: true, serviceMonitor: { additionalLabels: true, enabled: true, interval: true, metricRelabelings: true, namespace: true, relabelings: true, scrapeTimeout: true }, serviceMutatorWebhookConfig: { failurePolicy: true, objectSelector: { matchExpressions: true, matchLabels: true }, operations: true }, serviceTargetENISGTags: true, syncPeriod: true, targetgroupbindingMaxConcurrentReconciles: true, targetgroupbindingMaxExponentialBackoffDelay: true, terminationGracePeriodSeconds: true, tolerateNonExistentBackendAction: true, tolerateNonExistentBackendService: true, tolerations: true, topologySpreadConstraints: true, updateStrategy: true, vpcId: true, vpcTags: true, watchNamespace: true, webhookBindPort: true, webhookConfig: { disableIngressValidation: true }, webhookNamespaceSelectors: true, webhookTLS: { caCert: true, cert: true, key: true } }

export const DAPR_VERSION = '1.18.3'

/** How the 1.18.3 injector reads an annotation's value. */
export type AnnotationKind =
  | 'bool' | 'int' | 'port' | 'seconds' | 'milliseconds' | 'duration' | 'quantity' | 'env' | 'envFromSecret'
  | 'addresses' | 'address' | 'protocol' | 'logLevel' | 'seccomp' | 'string'

/** Every dapr.io/* annotation the 1.18.3 injector reads (pkg/injector/annotations), by value kind. */
export const DAPR_ANNOTATIONS: Record<string, AnnotationKind> = Object.fromEntries(Object.entries({
  enabled: 'bool',
  'app-port': 'port',
  config: 'string',
  'app-protocol': 'protocol',
  'app-ssl': 'bool',
  'app-id': 'string',
  'enable-profiling': 'bool',
  'log-level': 'logLevel',
  'api-token-secret': 'string',
  'app-token-secret': 'string',
  'log-as-json': 'bool',
  'app-max-concurrency': 'int',
  'enable-metrics': 'bool',
  'metrics-port': 'port',
  'enable-debug': 'bool',
  'debug-port': 'port',
  env: 'env',
  'env-from-secret': 'envFromSecret',
  'grpc-port': 'port',
  'internal-grpc-port': 'port',
  'sidecar-cpu-request': 'quantity',
  'sidecar-cpu-limit': 'quantity',
  'sidecar-memory-request': 'quantity',
  'sidecar-memory-limit': 'quantity',
  'sidecar-listen-addresses': 'addresses',
  'sidecar-liveness-probe-delay-seconds': 'seconds',
  'sidecar-liveness-probe-timeout-seconds': 'seconds',
  'sidecar-liveness-probe-period-seconds': 'seconds',
  'sidecar-liveness-probe-threshold': 'int',
  'sidecar-readiness-probe-delay-seconds': 'seconds',
  'sidecar-readiness-probe-timeout-seconds': 'seconds',
  'sidecar-readiness-probe-period-seconds': 'seconds',
  'sidecar-readiness-probe-threshold': 'int',
  'sidecar-image': 'string',
  'sidecar-seccomp-profile-type': 'seccomp',
  'http-max-request-size': 'int',
  'max-body-size': 'quantity',
  'http-read-buffer-size': 'int',
  'read-buffer-size': 'quantity',
  'graceful-shutdown-seconds': 'seconds',
  'block-shutdown-duration': 'duration',
  'enable-api-logging': 'bool',
  'unix-domain-socket-path': 'string',
  'volume-mounts': 'string',
  'volume-mounts-rw': 'string',
  'disable-builtin-k8s-secret-store': 'bool',
  'enable-app-health-check': 'bool',
  'app-health-check-path': 'string',
  'app-health-probe-interval': 'seconds',
  'app-health-probe-timeout': 'milliseconds',
  'app-health-threshold': 'int',
  'app-binding-options-timeout': 'string',
  'placement-host-address': 'string',
  'actors-disseminate-timeout': 'string',
  'scheduler-host-address': 'string',
  'pluggable-components': 'string',
  'pluggable-components-sockets-folder': 'string',
  'component-container': 'string',
  'inject-pluggable-components': 'bool',
  'app-channel-address': 'address',
  'sentry-request-jwt-audiences': 'string',
  'sidecar-svc-annotations': 'string',
  'disable-init-endpoints': 'string',
  'enable-native-sidecar': 'bool'
} satisfies Record<string, AnnotationKind>).map(([k, v]) => [`dapr.io/${k}`, v]))

/** --app-protocol values daprd accepts. */
export const APP_PROTOCOLS = ['http', 'https', 'grpc', 'grpcs', 'h2c']
/** --log-level values daprd accepts. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal']
export const SECCOMP_TYPES = ['RuntimeDefault', 'Localhost', 'Unconfined']

export const COMPONENTS_CONTRIB_VERSION = '1.18.4'
/** Value kinds of the state.redis fields (settings.go mapstructure names used by state, plus useEntraID and its alias). */
export const REDIS_STATE_METADATA: Record<string, 'string' | 'int' | 'bool' | 'duration'> = {
  redisHost: 'string',
  redisPort: 'int',
  redisPassword: 'string',
  redisUsername: 'string',
  sentinelPassword: 'string',
  sentinelUsername: 'string',
  redisDB: 'int',
  redisType: 'string',
  redisMaxRetries: 'int',
  redisMinRetryInterval: 'duration',
  redisMaxRetryInterval: 'duration',
  dialTimeout: 'duration',
  readTimeout: 'duration',
  writeTimeout: 'duration',
  poolSize: 'int',
  minIdleConns: 'int',
  maxConnAge: 'duration',
  poolTimeout: 'duration',
  idleTimeout: 'duration',
  idleCheckFrequency: 'duration',
  sentinelMasterName: 'string',
  failover: 'bool',
  enableTLS: 'bool',
  insecureSkipTLSVerify: 'bool',
  clientCert: 'string',
  clientKey: 'string',
  ttlInSeconds: 'int',
  queryIndexes: 'string',
  useEntraID: 'bool',
  useAzureAD: 'bool'
}
/** Keys daprd itself reads from any state store's metadata (pkg/components/state, outbox). */
export const RUNTIME_STATE_METADATA = ['keyPrefix', 'actorStateStore', 'outboxPublishPubsub', 'outboxPublishTopic', 'outboxPubsub', 'outboxDiscardWhenMissingState']

/** EKS versions in standard support for at least three months after this was written (2026-12), with the end of standard support (1.34 ends 2026-12-02). */
export const EKS_STANDARD_SUPPORT: Record<string, string> = { 1.35: '2027-03-27' }

/** NLB TLS policies that allow only TLS 1.3 and 1.2 (the 2021-06 and 2025-09 families). */
export const CURRENT_TLS_POLICY = /^ELBSecurityPolicy-TLS13-1-[23]-.*(2021-06|2025-09)$/

/** The oldest Node 24 release the image may use: 24.21.0 (2026-09-10), past the January and March 2026 security releases. */
export const NODE_24_FLOOR = '24.21.0'

/**
 * Service annotation suffixes the AWS Load Balancer Controller v2.14.1 reads
 * (pkg/annotations/constants.go), under service.beta.kubernetes.io/ or service.kubernetes.io/.
 * `aws-load-balancer-listener-attributes` is a prefix (".TCP-443" and so on follow it).
 */
export const LBC_SERVICE_ANNOTATIONS = [
  'load-balancer-source-ranges',
  'aws-load-balancer-type',
  'aws-load-balancer-nlb-target-type',
  'aws-load-balancer-name',
  'aws-load-balancer-scheme',
  'aws-load-balancer-internal',
  'aws-load-balancer-proxy-protocol',
  'aws-load-balancer-proxy-protocol-per-target-group',
  'aws-load-balancer-ip-address-type',
  'aws-load-balancer-access-log-enabled',
  'aws-load-balancer-access-log-s3-bucket-name',
  'aws-load-balancer-access-log-s3-bucket-prefix',
  'aws-load-balancer-cross-zone-load-balancing-enabled',
  'aws-load-balancer-ssl-cert',
  'aws-load-balancer-ssl-ports',
  'aws-load-balancer-ssl-negotiation-policy',
  'aws-load-balancer-backend-protocol',
  'aws-load-balancer-additional-resource-tags',
  'aws-load-balancer-healthcheck-healthy-threshold',
  'aws-load-balancer-healthcheck-unhealthy-threshold',
  'aws-load-balancer-healthcheck-timeout',
  'aws-load-balancer-healthcheck-interval',
  'aws-load-balancer-healthcheck-protocol',
  'aws-load-balancer-healthcheck-port',
  'aws-load-balancer-healthcheck-path',
  'aws-load-balancer-healthcheck-success-codes',
  'aws-load-balancer-target-group-attributes',
  'aws-load-balancer-subnets',
  'aws-load-balancer-eip-allocations',
  'aws-load-balancer-private-ipv4-addresses',
  'aws-load-balancer-ipv6-addresses',
  'aws-load-balancer-alpn-policy',
  'aws-load-balancer-target-node-labels',
  'aws-load-balancer-attributes',
  'aws-load-balancer-security-groups',
  'aws-load-balancer-manage-backend-security-group-rules',
  'aws-load-balancer-inbound-sg-rules-on-private-link-traffic',
  'aws-load-balancer-security-group-prefix-lists',
  'aws-load-balancer-listener-attributes',
  'aws-load-balancer-multi-cluster-target-group',
  'aws-load-balancer-enable-prefix-for-ipv6-source-nat',
  'aws-load-balancer-source-nat-ipv6-prefixes',
  'aws-load-balancer-minimum-load-balancer-capacity',
  'aws-load-balancer-enable-icmp-for-path-mtu-discovery',
  'aws-load-balancer-enable-tcp-udp-listener',
  'aws-load-balancer-disable-nlb-sg'
]
