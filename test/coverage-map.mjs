// One test file per source module: test/a/b.test.ts covers src/a/b.ts only.
// Tests that drive several modules at once (end-to-end, conformance) map to null
// and so count for no file's coverage.
export default function coverageMap (testFile) {
  if (/\/(e2e|conformance|reliability|manifests)\//.test(testFile.replace(/\\/g, '/'))) return null
  return testFile.replace(/^test\//, 'src/').replace(/\.test\.ts$/, '.ts')
}
