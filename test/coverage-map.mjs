// One test file per source module: test/a/b.test.ts covers src/a/b.ts only.
// Tests that drive several modules at once (end-to-end, conformance, reliability,
// manifests) map to null and so count for no file's coverage.
//
// The two process entry points (src/order/server.ts, src/generator/server.ts) are left out of
// the 100 % gate too: their tests load them several times over (t.mockImport per case, plus
// child processes through tsx), and the merged V8 coverage of those instances reported a
// covered line as missed at random on a loaded machine (seen in CI, not reproducible at will).
// Their tests still run and must pass; every branch of main() and the shutdown handler is
// exercised in process and as a real child process.
const ENTRY_POINTS = new Set(['test/order/server.test.ts', 'test/generator/server.test.ts'])

export default function coverageMap (testFile) {
  const file = testFile.replace(/\\/g, '/')
  if (/\/(e2e|conformance|reliability|manifests)\//.test(file) || ENTRY_POINTS.has(file)) return null
  return file.replace(/^test\//, 'src/').replace(/\.test\.ts$/, '.ts')
}
