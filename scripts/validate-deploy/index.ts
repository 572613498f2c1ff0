// The deploy validator's check registry: every check of every module, in the order they run.
// `validateBundle(await loadBundle())` is the whole validation; cli.ts is the command line.
import type { DeployBundle, Issue } from './bundle.js'
import { checkAnnotationFormats, checkAnnotationRisks, checkDaprAnnotations, checkSidecarResources } from './annotations.js'
import { checkCluster, checkClusterZones, checkEksctlKeys, checkHelmKeys } from './cluster.js'
import { checkCrossAppIds, checkCrossComponentNames, checkCrossConfig, checkCrossOtel, checkCrossPorts, checkCrossResiliencyTargets, checkCrossTrustDomain, checkCrossUid } from './cross.js'
import { checkAcl, checkConfigurations, checkDaprMetadataFormat, checkDaprMetadataNames, checkDaprSchema, checkResiliencyRefs, checkRetryPolicies, checkSecretPlainValues, checkStateStore } from './dapr.js'
import { checkDockerfile, checkDockerignore } from './dockerfile.js'
import { checkDocs } from './docs.js'
import { checkK8sSchema, checkK8sUnknownFields, checkNamespace, checkSecrets, checkServiceAccounts } from './k8s.js'
import { checkMetrics, checkNetworkPolicies, checkServiceAnnotations, checkServices } from './network.js'
import { checkImages, checkPdbHpa, checkProbes, checkResources, checkSecurity, checkShutdown, checkSpread, checkWorkloadEnv } from './workloads.js'

export * from './bundle.js'

/** Every check, in the order they run; each returns issues tagged with its code(s). */
export const CHECKS: Record<string, (b: DeployBundle) => Issue[]> = {
  k8sSchema: checkK8sSchema,
  k8sUnknownFields: checkK8sUnknownFields,
  namespace: checkNamespace,
  serviceAccounts: checkServiceAccounts,
  secrets: checkSecrets,
  daprSchema: checkDaprSchema,
  daprMetadataNames: checkDaprMetadataNames,
  daprMetadataFormat: checkDaprMetadataFormat,
  secretPlainValues: checkSecretPlainValues,
  stateStore: checkStateStore,
  configurations: checkConfigurations,
  acl: checkAcl,
  retryPolicies: checkRetryPolicies,
  resiliencyRefs: checkResiliencyRefs,
  daprAnnotations: checkDaprAnnotations,
  annotationFormats: checkAnnotationFormats,
  annotationRisks: checkAnnotationRisks,
  sidecarResources: checkSidecarResources,
  probes: checkProbes,
  resources: checkResources,
  security: checkSecurity,
  shutdown: checkShutdown,
  spread: checkSpread,
  images: checkImages,
  workloadEnv: checkWorkloadEnv,
  pdbHpa: checkPdbHpa,
  services: checkServices,
  serviceAnnotations: checkServiceAnnotations,
  networkPolicies: checkNetworkPolicies,
  metrics: checkMetrics,
  crossAppIds: checkCrossAppIds,
  crossPorts: checkCrossPorts,
  crossConfig: checkCrossConfig,
  crossComponentNames: checkCrossComponentNames,
  crossResiliencyTargets: checkCrossResiliencyTargets,
  crossUid: checkCrossUid,
  crossOtel: checkCrossOtel,
  crossTrustDomain: checkCrossTrustDomain,
  cluster: checkCluster,
  clusterZones: checkClusterZones,
  eksctlKeys: checkEksctlKeys,
  helmKeys: checkHelmKeys,
  dockerfile: checkDockerfile,
  dockerignore: checkDockerignore,
  docs: checkDocs
}

/**
 * Runs every check over a loaded bundle.
 * @example
 * const issues = validateBundle(await loadBundle())
 * if (issues.length > 0) console.error(issues)
 */
export function validateBundle (b: DeployBundle): Issue[] {
  return Object.values(CHECKS).flatMap((check) => check(b))
}
