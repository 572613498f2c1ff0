// The lazy compilers: nothing is compiled before a route's first request, each route's
// function once, and Fastify sees the same results and validation errors as with its own.
import t from 'tap'
import Fastify from 'fastify'
import { lazySerializers, lazyValidators } from '../../src/shared/lazy-compile.js'

type Build = NonNullable<Parameters<typeof lazyValidators>[0]>
type BuildSerializer = NonNullable<Parameters<typeof lazySerializers>[0]>

t.test('a validator is compiled on its first call, once, and passes on ajv\'s errors', async (t) => {
  const built: string[] = []
  const compiled: string[] = []
  const build = ((_external: unknown, _options: unknown) => {
    built.push('compiler')
    return (route: { url: string }) => {
      compiled.push(route.url)
      const check = (data: unknown): boolean => {
        check.errors = data === 1 ? null : [{ message: 'must be 1' }]
        return data === 1
      }
      check.errors = null as unknown
      return check
    }
  }) as unknown as Build
  const factory = lazyValidators(build)
  const compile = factory({}, {})
  const a = compile({ schema: {}, method: 'POST', url: '/a', httpPart: 'body' }) as unknown as ((d: unknown) => boolean) & { errors?: unknown }
  const b = compile({ schema: {}, method: 'POST', url: '/b', httpPart: 'body' }) as unknown as ((d: unknown) => boolean) & { errors?: unknown }
  t.same(built, [], 'no compiler built before a request')
  t.equal(a(1), true)
  t.equal(a.errors, null)
  t.equal(a(2), false)
  t.same(a.errors, [{ message: 'must be 1' }], 'the errors of the call, where Fastify reads them')
  t.same(built, ['compiler'])
  t.same(compiled, ['/a'], 'only the route that was used')
  b(1)
  t.same(built, ['compiler'], 'one compiler for every route')
  t.same(compiled, ['/a', '/b'])
})

t.test('a serializer is compiled on its first call, once', async (t) => {
  let builds = 0
  const compiled: number[] = []
  const build = ((_external: unknown, _options: unknown) => {
    builds++
    return (route: { httpStatus: string }) => {
      compiled.push(Number(route.httpStatus))
      return (data: unknown) => `${route.httpStatus}:${JSON.stringify(data)}`
    }
  }) as unknown as BuildSerializer
  const compile = lazySerializers(build)({}, {})
  const ok = compile({ schema: {}, method: 'GET', url: '/', httpStatus: '200' }) as unknown as (d: unknown) => string
  compile({ schema: {}, method: 'GET', url: '/', httpStatus: '503' })
  t.equal(builds, 0)
  t.equal(ok({ a: 1 }), '200:{"a":1}')
  t.equal(ok({ a: 2 }), '200:{"a":2}')
  t.equal(builds, 1)
  t.same(compiled, [200], 'the 503 serializer was never needed')
})

t.test('with Fastify\'s own compilers: validation errors, $refs and response filtering as usual', async (t) => {
  const app = Fastify({
    ajv: { customOptions: { allErrors: true, validateSchema: false } },
    schemaController: { compilersFactory: { buildValidator: lazyValidators(), buildSerializer: lazySerializers() } }
  })
  t.teardown(() => app.close())
  app.addSchema({ $id: 'Err', type: 'object', properties: { code: { type: 'string' } }, required: ['code'] })
  app.setErrorHandler((err, _request, reply) => reply.code(400).send({ code: (err as { code?: string }).code ?? 'X', secret: 'dropped by the schema' }))
  app.post('/echo', {
    schema: {
      body: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false },
      response: { 200: { type: 'object', properties: { n: { type: 'integer' } } }, 400: { $ref: 'Err#' } }
    }
  }, async (request) => ({ ...(request.body as { n: number }), extra: 'dropped' }))
  const ok = await app.inject({ method: 'POST', url: '/echo', payload: { n: 3 } })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { n: 3 }, 'serialized by the schema: no extra field')
  const bad = await app.inject({ method: 'POST', url: '/echo', payload: { n: 'x', m: 1 } })
  t.equal(bad.statusCode, 400)
  t.same(bad.json(), { code: 'FST_ERR_VALIDATION' }, 'the validation error, serialized through the $ref')
  const again = await app.inject({ method: 'POST', url: '/echo', payload: {} })
  t.same(again.json(), { code: 'FST_ERR_VALIDATION' })
})
