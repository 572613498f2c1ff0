// Every reject fixture (test/fixtures/manifests/reject/*.yaml) breaks one thing in the committed
// tree; the validator must then report the fixture's code with a matching message. The CLI
// exits 1 on a fixture and 0 on the clean tree.
import { spawnSync } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { kubectlStatus, loadBundle, repoRoot, validateBundle } from '../../scripts/validate-deploy/index.js'
import { applyFixture, loadFixture } from '../../scripts/validate-deploy/fixture.js'

const dir = path.join(repoRoot, 'test', 'fixtures', 'manifests', 'reject')
const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()
const status = await kubectlStatus()

if (!status.ok) {
  if (process.env.CI) t.fail(status.reason)
  else t.plan(0, `skipped: ${status.reason}`)
} else {
  const good = await loadBundle()

  t.test('there are at least 40 reject fixtures', async (t) => {
    t.ok(files.length >= 40, `${files.length} fixtures`)
  })

  for (const file of files) {
    t.test(file, async (t) => {
      const fixture = await loadFixture(path.join(dir, file))
      const b = structuredClone(good)
      applyFixture(b, fixture)
      const issues = validateBundle(b)
      const hits = issues.filter((i) => i.check === fixture.code)
      t.ok(hits.length > 0, `${fixture.code} fires (${fixture.why})`)
      t.ok(hits.some((i) => fixture.message.test(i.message) || fixture.message.test(i.where)), `a ${fixture.code} issue matches ${fixture.message}: ${JSON.stringify(issues.map((i) => `${i.check} ${i.message}`))}`)
    })
  }

  t.test('the clean tree stays clean after all fixtures ran', async (t) => {
    t.same(validateBundle(good), [])
  })

  t.test('npm run validate:deploy -- --fixture exits 1 with one line per issue', async (t) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'validate-deploy', 'bin.ts'), '--fixture', path.join(dir, 'listen-all-interfaces.yaml')], { encoding: 'utf8', timeout: 120_000 })
    t.equal(r.status, 1)
    t.match(r.stderr, /^RISKY_VALUE Deployment\/nodeapp: dapr\.io\/sidecar-listen-addresses "0\.0\.0\.0"/m)
    t.match(r.stdout, /^[1-9]\d* issue\(s\), \d+ checks/)
  })
}
