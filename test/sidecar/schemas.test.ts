// The response schemas accept what daprd sends and reject what it never would.
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { BulkGetResponseSchema, DaprErrorBodySchema, SidecarMetadataSchema } from '../../src/sidecar/schemas.js'

t.test('Dapr error bodies: legacy and rich', async (t) => {
  t.ok(Value.Check(DaprErrorBodySchema, { errorCode: 'ERR_X', message: 'm' }))
  t.ok(Value.Check(DaprErrorBodySchema, { errorCode: 'ERR_X', message: 'm', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'R' }] }))
  t.notOk(Value.Check(DaprErrorBodySchema, { error: 'x' }))
})

t.test('bulk responses: found, missing and failed items', async (t) => {
  t.ok(Value.Check(BulkGetResponseSchema, [{ key: 'k', data: { a: 1 }, etag: '1' }, { key: 'm' }, { key: 'e', error: 'x' }]))
  t.notOk(Value.Check(BulkGetResponseSchema, [{ data: 1 }]))
})

t.test('metadata: the documented fields, extras allowed', async (t) => {
  t.ok(Value.Check(SidecarMetadataSchema, { id: 'A', extended: { daprRuntimeVersion: '1.18.3' }, components: [], more: 1 }))
  t.notOk(Value.Check(SidecarMetadataSchema, { id: 'A', components: [{ name: 'x' }] }))
})

t.test('the lazy checks agree with the schemas and compile on first use only', async (t) => {
  const { checkDaprError, checkBulkGetResponse, checkSidecarMetadata, lazyCheck } = await import('../../src/sidecar/schemas.js')
  t.ok(checkDaprError({ errorCode: 'ERR_X', message: 'm' }))
  t.notOk(checkDaprError({ errorCode: 1, message: 'm' }))
  t.ok(checkBulkGetResponse([{ key: 'k' }]))
  t.notOk(checkBulkGetResponse({ key: 'k' }))
  t.ok(checkSidecarMetadata({ id: 'A' }))
  t.notOk(checkSidecarMetadata({}))
  // A schema whose compilation would fail shows when it is compiled: at the first call, not before.
  const broken = lazyCheck({ [Symbol.for('TypeBox.Kind')]: 'NoSuchKind' } as never)
  t.throws(() => broken(1), /Unknown type|NoSuchKind|not supported/i)
})
