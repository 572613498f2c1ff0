// One test file per source module, in both packages: test/a/b.test.ts covers src/a/b.ts, and
// local-dapr/test/a/b.test.ts covers local-dapr/src/a/b.ts. Tests that drive several modules
// at once (end-to-end, conformance, reliability, manifests) map to null and so count for no
// file's coverage. test/layout/ checks the import graph of all of src/ and maps to null too.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))

export default function coverageMap (testFile) {
  const file = testFile.replace(/\\/g, '/')
  if (/(^|\/)(e2e|conformance|reliability|manifests|layout)\//.test(file)) return null
  // test/scripts/x.test.ts covers scripts/x.ts (the deploy validator's modules), or
  // scripts/x.mjs for a script that runs without a TypeScript loader (the local-dapr launcher).
  if (/(^|\/)test\/scripts\//.test(file)) {
    const script = file.replace(/(^|\/)test\/scripts\//, '$1scripts/').replace(/\.test\.ts$/, '')
    return existsSync(join(ROOT, `${script.slice(script.lastIndexOf('scripts/'))}.mjs`)) ? `${script}.mjs` : `${script}.ts`
  }
  return file.replace(/(^|\/)test\//, '$1src/').replace(/\.test\.ts$/, '.ts')
}
