// The order's wire and storage shapes, and the state keys derived from an order id.
// Every type here comes from its schema, so validation and types cannot drift apart.
import { Type, type Static } from '@sinclair/typebox'

/**
 * An order id in string form: what a URL can carry and what the state key is built from.
 * No `.` alone and no `..`: URL clients resolve such path segments (`/orders/..` becomes `/`),
 * so an order stored under one could never be read back.
 */
export const OrderIdStringSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^(?!\\.$)(?!.*\\.\\.)[A-Za-z0-9._-]+$' })

/** The quickstart sends `"42"`; a JSON number is accepted too, if it is a non-negative safe integer. */
export const OrderIdSchema = Type.Union([
  OrderIdStringSchema,
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
])
export type OrderId = Static<typeof OrderIdSchema>

/** `data` of a new order: `orderId` plus any other fields, which are stored and returned as sent. */
export const OrderDataSchema = Type.Object({ orderId: OrderIdSchema }, { additionalProperties: true })
export type OrderData = Static<typeof OrderDataSchema> & Record<string, unknown>

export const NewOrderBodySchema = Type.Object({ data: OrderDataSchema })

/** How deep order data may nest; the digest and the stores recurse, so depth must be bounded. */
export const MAX_ORDER_DEPTH = 32

/**
 * True when `value` nests arrays or objects deeper than `max`. Iterative on purpose: a body of
 * 64 KB can nest 30,000 levels, which overflows the stack of any recursive walk.
 * @example
 * nestsDeeperThan({ a: [[1]] }, 2) // true
 */
export function nestsDeeperThan (value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item
    if (v === null || typeof v !== 'object') continue
    if (depth >= max) return true
    for (const child of Object.values(v)) stack.push([child, depth + 1])
  }
  return false
}
export type NewOrderBody = Static<typeof NewOrderBodySchema>

export const OrderAcceptedSchema = Type.Object({ orderId: OrderIdSchema })

export const OrderParamsSchema = Type.Object({ orderId: OrderIdStringSchema })

/**
 * What is stored under an order's key. `digest` is the SHA-256 of the canonical JSON of
 * `data` as received: daprd re-serialises values (Redis shuffles keys and rounds floats to 6
 * decimals, see dapr-http-api.md §3.9), so comparing stored data with a re-post would give
 * false conflicts; comparing digests does not.
 */
export const OrderRecordSchema = Type.Object({ data: OrderDataSchema, digest: Type.String() })
export type OrderRecord = Static<typeof OrderRecordSchema>

/**
 * The latest accepted order's data, stored under the quickstart's own key. It is written only
 * after the order's own key, so it never names an order that `GET /orders/:id` cannot find.
 */
export const LATEST_ORDER_KEY = 'order'

/**
 * The key of one order. A numeric id and its decimal string (`42` and `"42"`) share the key
 * on purpose: they name the same order. Their data differ (the id's JSON type), so whichever
 * arrives second is refused with 409 instead of silently replacing or shadowing the first.
 * @example
 * orderKey(42) === orderKey('42') // 'order-42'
 */
export function orderKey (orderId: OrderId): string {
  return `order-${String(orderId)}`
}
