import t from 'tap'
import { compileTrip, TripNotEmulatedError, TripSyntaxError, type Counts } from '../../../src/sidecar/resiliency/trip.js'

const counts = (c: Partial<Counts> = {}): Counts => ({ requests: 0, totalSuccesses: 0, totalFailures: 0, consecutiveSuccesses: 0, consecutiveFailures: 0, ...c })

t.test('the CEL daprd users write', async (t) => {
  const trip = compileTrip('consecutiveFailures >= 5')
  t.equal(trip.source, 'consecutiveFailures >= 5')
  t.notOk(trip.shouldTrip(counts({ consecutiveFailures: 4 })))
  t.ok(trip.shouldTrip(counts({ consecutiveFailures: 5 })))
  const ratio = compileTrip('requests > 10 && totalFailures * 100 / requests >= 50 || consecutiveFailures > 3')
  t.ok(ratio.shouldTrip(counts({ requests: 20, totalFailures: 10 })))
  t.notOk(ratio.shouldTrip(counts({ requests: 20, totalFailures: 9 })))
  t.ok(ratio.shouldTrip(counts({ consecutiveFailures: 4 })))
  const cases: Array<[string, Partial<Counts>, boolean]> = [
    ['!(consecutiveFailures < 2)', { consecutiveFailures: 2 }, true],
    ['-consecutiveFailures < -1', { consecutiveFailures: 2 }, true],
    ['-1.5 < 0.0', {}, true],
    ['totalFailures % 2 == 1', { totalFailures: 3 }, true],
    ['totalFailures - 1 != 2', { totalFailures: 3 }, false],
    ['2.0 * 1.5 == 3.0 && 3.0 / 2.0 > 1.0 && 1.0 + 1.0 - 2.0 == 0.0', {}, true],
    ['consecutiveFailures > 2.5', { consecutiveFailures: 3 }, true],
    ['true == true && false != true', {}, true],
    ['true == 1', {}, false],
    ['true != 1', {}, true],
    ['consecutiveFailures > 1 ? true : false', { consecutiveFailures: 2 }, true],
    ['consecutiveFailures > 1 ? true : false', {}, false],
    ['0x10 == 16 && 5u == 5 && 1e1 == 10.0 && .5 < 1.0', {}, true],
    ['requests', { requests: 3 }, false],
    ['typo > 5', { consecutiveFailures: 100 }, false],
    ['typo > 5 || consecutiveFailures > 1', { consecutiveFailures: 2 }, true],
    ['consecutiveFailures > 1 || typo > 5', { consecutiveFailures: 2 }, true],
    ['typo > 5 && false', {}, false],
    ['typo > 5 && true', {}, false],
    ['true && typo > 5', {}, false],
    ['false || false', {}, false],
    ['requests / totalFailures > 1', { requests: 3 }, false],
    ['requests % totalFailures > 1', { requests: 3 }, false],
    ['1.0 % 2.0 == 1.0', {}, false],
    ['requests + 1.0 > 0.0', {}, false],
    ['true + 1 > 0', {}, false],
    ['!requests', {}, false],
    ['9007199254740991 * 2 > 0', {}, false],
    ['-true', {}, false],
    ['true < 1', {}, false],
    ['-(1.5) < 0.0', {}, true],
    ['requests <= 0 && requests >= 0', {}, true],
    ['requests + 1 == 1', {}, true]
  ]
  for (const [src, c, want] of cases) t.equal(compileTrip(src).shouldTrip(counts(c)), want, src)
})

t.test('syntax errors and CEL that is not emulated', async (t) => {
  for (const src of ['', 'consecutiveFailures >=', '(1 > 0', '1 > 0)', '1 ? 2', '@', 'a = 1', '1 2', '1 > )']) {
    t.throws(() => compileTrip(src), TripSyntaxError, JSON.stringify(src))
  }
  for (const src of ['size("x") > 1', 'a.b > 1', '[1] == [1]', 'null == null', "'x' == 'x'", 'int(requests) > 1']) {
    t.throws(() => compileTrip(src), TripNotEmulatedError, src)
  }
  t.equal(new TripSyntaxError('x').code, 'RESILIENCY_ERR_TRIP')
  t.equal(new TripNotEmulatedError('x').code, 'RESILIENCY_ERR_TRIP_NOT_EMULATED')
})
