// The runner's presentation: plain when piped, a colour per app and pino-pretty on a terminal.
import t from 'tap'
import { APP_COLOURS, presentation } from '../../src/runner/pretty.js'

const json = '{"level":30,"time":0,"pid":1,"hostname":"h","reqId":"r","orderId":"42","msg":"Got a new order! Order ID: 42"}'

t.test('piped: prefixes and lines exactly as written', async (t) => {
  const show = presentation(false)
  t.equal(show.prefix('APP', 'nodeapp', 0), '== APP - nodeapp ==')
  t.equal(show.prefix('DAPR', 'generator', 1), '== DAPR - generator ==')
  t.equal(show.format(json), json)
})

t.test('terminal: one colour per app, pino-pretty lines without the bookkeeping fields', async (t) => {
  const show = presentation(true, {})
  t.equal(show.prefix('APP', 'nodeapp', 0), `\u001b[${APP_COLOURS[0]}m== APP - nodeapp ==\u001b[39m`)
  t.equal(show.prefix('DAPR', 'nodeapp', 0), `\u001b[${APP_COLOURS[0]}m== DAPR - nodeapp ==\u001b[39m`, 'an app and its sidecar share a colour')
  t.equal(show.prefix('APP', 'seventh', APP_COLOURS.length), `\u001b[${APP_COLOURS[0]}m== APP - seventh ==\u001b[39m`, 'colours repeat')
  const line = show.format(json)
  // eslint-disable-next-line no-control-regex
  t.match(line.replace(/\u001b\[\d+m/g, ''), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Got a new order! Order ID: 42$/)
  t.ok(line.includes('\u001b[32mINFO'))
  t.equal(show.format('not json'), 'not json', 'other lines pass through')
})

t.test('NO_COLOR: readable lines, no colour', async (t) => {
  const show = presentation(true, { NO_COLOR: '1' })
  t.equal(show.prefix('APP', 'nodeapp', 0), '== APP - nodeapp ==')
  t.match(show.format(json), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Got a new order! Order ID: 42$/)
})
