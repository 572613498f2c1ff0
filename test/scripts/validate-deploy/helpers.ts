// Shared by the validator's unit tests: the committed tree loaded once (and the tests that need
// it, skipped without kubectl), a throwaway copy per case, and an empty bundle for the
// "nothing is there" paths.
import t from 'tap'
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

/**
 * Declares the tests that need the committed tree. Without kubectl they skip, with the reason,
 * except in CI, which installs kubectl: there its absence fails.
 */
export function withCommittedTree (good: DeployBundle | undefined, reason: string | undefined, tests: (good: DeployBundle) => void, name = 'the committed tree (needs kubectl)'): void {
  if (good !== undefined) return tests(good)
  if (process.env.CI) t.fail(String(reason))
  else t.test(name, { skip: String(reason) }, async () => {})
}

/** What `check` finds in a copy of `good` that `mutate` changed. */
export function issuesAfter<T> (good: DeployBundle, mutate: (b: DeployBundle) => void, check: (b: DeployBundle) => T[]): T[] {
  const b = copy(good)
  mutate(b)
  return check(b)
}

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
