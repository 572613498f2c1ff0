// Reject fixtures: small YAML files under test/fixtures/manifests/reject/ that each break one
// thing in the committed deploy tree, with the check code (and message) that must catch it.
// `npm run validate:deploy -- --fixture <file>` applies one to the loaded tree and validates.
//
//   why: daprd needs a Go duration
//   code: DAPR_ANNOTATION_FORMAT
//   message: block-shutdown-duration "25"          # a regular expression
//   patch:
//     - target: Deployment/nodeapp                   # Kind/name in the render, or a bundle field
//       path: /spec/template/metadata/annotations/dapr.io~1block-shutdown-duration
//       value: "25"                                  # or `remove: true`, or `replace: [from, to]` on text
import { readFile } from 'node:fs/promises'
import { parseYamlDocs, type CheckCode, type DeployBundle, type Json } from './bundle.js'

export interface PatchOp {
  target: string
  path?: string
  value?: Json
  remove?: boolean
  push?: Json
  replace?: [string, string]
}

export interface Fixture {
  file: string
  why: string
  code: CheckCode
  message: RegExp
  patch: PatchOp[]
}

export class FixtureError extends Error {
  readonly code = 'FIXTURE_INVALID'
  constructor (message: string) {
    super(message)
    this.name = 'FixtureError'
  }
}

const TEXT_FIELDS = new Set(['dockerfile', 'dockerignore', 'docs', 'readme'])
const OBJECT_FIELDS = new Set(['kustomization', 'runFile', 'cluster', 'daprValues', 'lbcValues'])
const LIST_FIELDS = new Set(['clusterObjects', 'secretsExample'])

/** Reads and checks a fixture file; a malformed one throws FIXTURE_INVALID. */
export async function loadFixture (file: string): Promise<Fixture> {
  const doc = parseYamlDocs(await readFile(file, 'utf8'), file)[0]
  const fail = (why: string): never => { throw new FixtureError(`${file}: ${why}`) }
  if (typeof doc?.why !== 'string' || typeof doc.code !== 'string' || typeof doc.message !== 'string') fail('needs why, code and message strings')
  if (!Array.isArray(doc.patch) || doc.patch.length === 0) fail('needs a non-empty patch list')
  return { file, why: doc.why, code: doc.code, message: new RegExp(doc.message), patch: doc.patch }
}

function unescape (segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~')
}

/** The object a target names: `Kind/name` in the render, `field:Kind/name` in a list field, or an object field. */
function resolveTarget (b: DeployBundle, target: string): Json {
  const m = /^(?:(\w+):)?([A-Za-z]+)\/(.+)$/.exec(target)
  if (OBJECT_FIELDS.has(target)) return (b as unknown as Record<string, Json>)[target]
  if (m) {
    const list: Json[] = m[1] === undefined ? b.rendered : LIST_FIELDS.has(m[1]) ? (b as unknown as Record<string, Json[]>)[m[1]] as Json[] : []
    const found = list.find((o) => o?.kind === m[2] && o?.metadata?.name === m[3])
    if (found !== undefined) return found
  }
  throw new FixtureError(`target ${target} matches nothing`)
}

/** Applies a fixture's patch to a bundle (in place). Every op must change something. */
export function applyFixture (b: DeployBundle, fixture: Pick<Fixture, 'patch'>): void {
  for (const op of fixture.patch) {
    if (TEXT_FIELDS.has(op.target)) {
      const field = op.target as 'dockerfile' | 'dockerignore' | 'docs' | 'readme'
      if (!Array.isArray(op.replace)) throw new FixtureError(`${op.target}: text targets take replace: [from, to]`)
      const [from, to] = op.replace
      const before = b[field]
      b[field] = before.split(from).join(to)
      if (b[field] === before) throw new FixtureError(`${op.target}: "${from}" is not in the text`)
      continue
    }
    const root = resolveTarget(b, op.target)
    const parts = (op.path ?? '').split('/').slice(1).map(unescape)
    const last = parts.pop()
    let node = root
    for (const p of parts) {
      if (node === null || typeof node !== 'object' || !(p in node)) throw new FixtureError(`${op.target}${op.path}: ${p} does not exist`)
      node = node[p]
    }
    if (last === undefined || node === null || typeof node !== 'object') throw new FixtureError(`${op.target}: a patch needs a path inside the object`)
    if (op.remove === true) {
      if (!(last in node)) throw new FixtureError(`${op.target}${op.path}: nothing to remove`)
      if (Array.isArray(node)) node.splice(Number(last), 1)
      else delete node[last]
    } else if (op.push !== undefined) {
      if (!Array.isArray(node[last])) throw new FixtureError(`${op.target}${op.path}: push needs a list`)
      node[last].push(op.push)
    } else if ('value' in op) {
      node[last] = op.value
    } else {
      throw new FixtureError(`${op.target}${op.path}: needs value, remove or push`)
    }
  }
}
