// Import cost in a fresh process: wall time of `await import(spec)` and the heap it leaves
// behind after a full GC. Run with --expose-gc. Argument: the module specifier, or '-' for
// nothing (the baseline). Sends { type: 'result', importMs, heapBytes, heapDeltaBytes, rssBytes }.
const spec = process.argv[2] ?? '-'
const gc = (globalThis as { gc?: () => void }).gc
gc?.()
const heap0 = process.memoryUsage().heapUsed
const t0 = performance.now()
// Relative specifiers are given relative to this file (<build>/bench/cells/).
if (spec !== '-') await import(spec.startsWith('.') ? new URL(spec, import.meta.url).href : spec)
const importMs = performance.now() - t0
gc?.()
gc?.()
const mem = process.memoryUsage()
process.send?.({ type: 'result', importMs, heapBytes: mem.heapUsed, heapDeltaBytes: mem.heapUsed - heap0, rssBytes: mem.rss })
process.disconnect?.()
