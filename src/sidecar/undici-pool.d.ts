// undici 7 has no `exports` map, so its Pool can be imported alone (a CommonJS module whose
// export is the class). The path is internal to undici 7; the client tests import through it.
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici'
  export default Pool
}
