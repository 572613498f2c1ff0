// The apps no longer have ajv check every schema against the JSON Schema meta-schema at
// start (serverOptions: a sixth of the start-up). This is that check, run here instead: every
// schema the routes of the apps use is a valid draft-07 schema.
import t from 'tap'
import { Ajv } from 'ajv'
import * as order from '../../src/order/schemas.js'
import * as health from '../../src/shared/health.js'
import * as http from '../../src/shared/http.js'

const KIND = Symbol.for('TypeBox.Kind')

t.test('every exported route schema is valid draft-07', async (t) => {
  const schemas = Object.entries({ ...order, ...health, ...http }).filter(([, v]) => typeof v === 'object' && v !== null && KIND in v)
  t.ok(schemas.length >= 9, `${schemas.length} schemas`)
  const ajv = new Ajv({ allErrors: true, strict: false })
  for (const [name, schema] of schemas) t.ok(ajv.validateSchema(schema as object), `${name}: ${ajv.errorsText(ajv.errors)}`)
  // The check can fail: a schema of the wrong shape is caught.
  t.notOk(ajv.validateSchema({ type: 'object', required: 'orderId' }))
})
