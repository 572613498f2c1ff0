import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['dist/**', 'local-dapr/dist/**', 'coverage/**', '.tap/**', 'node_modules/**', 'bench/results/**']
})
