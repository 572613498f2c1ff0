// The check registry: every check runs, in order, and the committed tree passes all of them.
import t from 'tap'
import * as validator from '../../../scripts/validate-deploy/index.js'
import { CHECKS, validateBundle } from '../../../scripts/validate-deploy/index.js'
import { committed, copy, empty, obj, withCommittedTree } from './helpers.js'

const { bundle: good, reason } = await committed()

t.test('the registry', async (t) => {
  t.equal(Object.keys(CHECKS).length, 45)
  t.equal(new Set(Object.values(CHECKS)).size, 45, 'no check is registered twice')
  t.equal(typeof validator.loadBundle, 'function', 'the bundle API is re-exported')
})

t.test('an empty bundle reports, from many checks, instead of crashing', async (t) => {
  const codes = new Set(validateBundle(empty()).map((i) => i.check))
  for (const code of ['NAMESPACE', 'SERVICE_NLB', 'NETPOL', 'CROSS_CONFIG', 'CLUSTER', 'DOCKERFILE_USER', 'DOCKERIGNORE', 'DOCS'] as const) t.ok(codes.has(code), code)
})

withCommittedTree(good, reason, (good) => {
  t.test('the committed tree passes every check', async (t) => {
    t.same(validateBundle(good), [])
  })

  t.test('one mistake gives exactly its issue', async (t) => {
    const b = copy(good)
    obj(b.rendered, 'ServiceAccount', 'generator').automountServiceAccountToken = true
    t.same(validateBundle(b), [{ check: 'SERVICEACCOUNT', where: 'ServiceAccount/generator', message: 'automountServiceAccountToken must be false' }])
  })
})
