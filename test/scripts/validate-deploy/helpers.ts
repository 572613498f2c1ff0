// Shared by the validator's unit tests: the committed tree loaded once, a throwaway copy per
// case, and an empty bundle for the "nothing is there" paths.
import type { DeployBundle, Json } from '../../../scripts/validate-deploy/bundle.js'
import { kubectlStatus, loadBundle } from '../../../scripts/validate-deploy/bundle.js'

let cached: DeployBundle | undefined

/** The committed tree, or undefined (with the reason) when kubectl is missing. */
export async function committed (): Promise<{ bundle?: DeployBundle, reason?: string }> {
  const status = await kubectlStatus()
  if (!status.ok) return { reason: status.reason }
  cached ??= await loadBundle()
  return { bundle: cached }
}

export const copy = (b: DeployBundle): DeployBundle => structuredClone(b)

export function obj (list: Json[], kind: string, name: string): Json {
  const found = list.find((o) => o?.kind === kind && o?.metadata?.name === name)
  if (found === undefined) throw new Error(`no ${kind}/${name}`)
  return found
}

export function empty (): DeployBundle {
  return {
    rendered: [],
    kustomization: null,
    runFile: null,
    localDapr: [],
    localConfigFile: null,
    cluster: null,
    daprValues: null,
    lbcValues: null,
    clusterObjects: [],
    secretsExample: [],
    dockerfile: '',
    dockerignore: '',
    docs: '',
    readme: ''
  }
}
