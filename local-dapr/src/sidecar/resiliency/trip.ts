// A circuit breaker's `trip` expression. daprd compiles it as CEL (pkg/expr), declaring any
// unknown name as a variable of type `any`, and evaluates it on every failure in the closed
// state with requests, totalSuccesses, totalFailures, consecutiveSuccesses and
// consecutiveFailures. An evaluation error or a non-boolean result means "do not trip".
//
// This is the part of CEL such expressions use: integer, double and boolean literals, the
// five counters (or any other name, which fails at evaluation as in daprd), arithmetic,
// comparisons, `!`, `&&`, `||` (commutative with errors, as CEL's) and `? :`.
// Strings, lists, maps, member access and function calls are not emulated: `compileTrip`
// throws TripNotEmulatedError for them, so they fail loudly instead of never tripping.

export type Counts = Record<'requests' | 'totalSuccesses' | 'totalFailures' | 'consecutiveSuccesses' | 'consecutiveFailures', number>

type Value = { t: 'int', v: number } | { t: 'double', v: number } | { t: 'bool', v: boolean }
type Node =
  | { k: 'lit', value: Value }
  | { k: 'var', name: string }
  | { k: 'not' | 'neg', arg: Node }
  | { k: 'bin', op: string, l: Node, r: Node }
  | { k: 'cond', c: Node, a: Node, b: Node }

export class TripSyntaxError extends Error {
  readonly code = 'RESILIENCY_ERR_TRIP'
  constructor (message: string) {
    super(message)
    this.name = 'TripSyntaxError'
  }
}

export class TripNotEmulatedError extends Error {
  readonly code = 'RESILIENCY_ERR_TRIP_NOT_EMULATED'
  constructor (message: string) {
    super(message)
    this.name = 'TripNotEmulatedError'
  }
}

class EvalError extends Error {}

const TOKEN = /\s*(?:(\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)|(0[xX][0-9a-fA-F]+|\d+)([uU]?)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|&&|\|\||[<>!+\-*/%()?:])|(\S))/y

interface Token { kind: 'double' | 'int' | 'ident' | 'op' | 'end', text: string, uint?: boolean }

function tokenize (src: string): Token[] {
  const out: Token[] = []
  TOKEN.lastIndex = 0
  let m: RegExpExecArray | null
  while ((m = TOKEN.exec(src)) !== null) {
    if (m[1] !== undefined) out.push({ kind: 'double', text: m[1] })
    else if (m[2] !== undefined) out.push({ kind: 'int', text: m[2], uint: m[3] !== '' })
    else if (m[4] !== undefined) out.push({ kind: 'ident', text: m[4] })
    else if (m[5] !== undefined) out.push({ kind: 'op', text: m[5] })
    else {
      const ch = m[6] as string
      if (/["'`[\]{}.,]/.test(ch)) throw new TripNotEmulatedError(`trip expression ${JSON.stringify(src)}: '${ch}' (strings, lists, maps, member access, calls) is CEL the local sidecar does not emulate`)
      throw new TripSyntaxError(`Syntax error: token recognition error at: '${ch}'`)
    }
  }
  out.push({ kind: 'end', text: '' })
  return out
}

const KEYWORDS = new Set(['in', 'null', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while'])

function parse (src: string): Node {
  const toks = tokenize(src)
  let i = 0
  const peek = (): Token => toks[i] as Token
  const take = (): Token => toks[i++] as Token
  const isOp = (...ops: string[]): boolean => peek().kind === 'op' && ops.includes(peek().text)
  const expect = (op: string): void => {
    if (!isOp(op)) throw new TripSyntaxError(`Syntax error: expected '${op}' in ${JSON.stringify(src)}`)
    take()
  }

  function expr (): Node {
    const c = or()
    if (!isOp('?')) return c
    take()
    const a = or()
    expect(':')
    return { k: 'cond', c, a, b: expr() }
  }
  function chain (next: () => Node, ops: string[]): () => Node {
    return () => {
      let l = next()
      while (isOp(...ops)) l = { k: 'bin', op: take().text, l, r: next() }
      return l
    }
  }
  const mul = chain(unary, ['*', '/', '%'])
  const add = chain(mul, ['+', '-'])
  const rel = chain(add, ['<', '<=', '>', '>=', '==', '!='])
  const and = chain(rel, ['&&'])
  const or = chain(and, ['||'])

  function unary (): Node {
    if (isOp('!')) { take(); return { k: 'not', arg: unary() } }
    if (isOp('-')) { take(); return { k: 'neg', arg: unary() } }
    return primary()
  }
  function primary (): Node {
    const tok = take()
    if (tok.kind === 'double') return { k: 'lit', value: { t: 'double', v: Number(tok.text) } }
    if (tok.kind === 'int') return { k: 'lit', value: { t: 'int', v: Number(tok.text) } }
    if (tok.kind === 'ident') {
      if (tok.text === 'true' || tok.text === 'false') return { k: 'lit', value: { t: 'bool', v: tok.text === 'true' } }
      if (KEYWORDS.has(tok.text)) throw new TripNotEmulatedError(`trip expression ${JSON.stringify(src)}: '${tok.text}' is CEL the local sidecar does not emulate`)
      if (isOp('(')) throw new TripNotEmulatedError(`trip expression ${JSON.stringify(src)}: function calls such as ${tok.text}() are CEL the local sidecar does not emulate`)
      return { k: 'var', name: tok.text }
    }
    if (tok.kind === 'op' && tok.text === '(') {
      const e = expr()
      expect(')')
      return e
    }
    throw new TripSyntaxError(`Syntax error: unexpected ${tok.kind === 'end' ? 'end of input' : `'${tok.text}'`} in ${JSON.stringify(src)}`)
  }

  const root = expr()
  if (peek().kind !== 'end') throw new TripSyntaxError(`Syntax error: unexpected '${peek().text}' in ${JSON.stringify(src)}`)
  return root
}

function num (v: Value): number {
  if (v.t === 'bool') throw new EvalError('no such overload')
  return v.v
}

function bool (v: Value): boolean {
  if (v.t !== 'bool') throw new EvalError('no such overload')
  return v.v
}

function arith (op: string, a: Value, b: Value): Value {
  if (a.t === 'bool' || b.t === 'bool' || a.t !== b.t) throw new EvalError('no such overload')
  if (a.t === 'double') {
    const v = op === '+' ? a.v + b.v : op === '-' ? a.v - b.v : op === '*' ? a.v * b.v : op === '/' ? a.v / b.v : NaN
    if (op === '%') throw new EvalError('no such overload')
    return { t: 'double', v }
  }
  if ((op === '/' || op === '%') && b.v === 0) throw new EvalError(op === '/' ? 'division by zero' : 'modulus by zero')
  const v = op === '+' ? a.v + b.v : op === '-' ? a.v - b.v : op === '*' ? a.v * b.v : op === '/' ? Math.trunc(a.v / b.v) : a.v % b.v
  if (!Number.isSafeInteger(v)) throw new EvalError('integer overflow')
  return { t: 'int', v }
}

function evaluate (n: Node, vars: Counts): Value {
  switch (n.k) {
    case 'lit': return n.value
    case 'var': {
      const v = (vars as Record<string, number>)[n.name]
      if (v === undefined || !Object.hasOwn(vars, n.name)) throw new EvalError(`no such attribute: ${n.name}`)
      return { t: 'int', v }
    }
    case 'not': return { t: 'bool', v: !bool(evaluate(n.arg, vars)) }
    case 'neg': {
      const v = evaluate(n.arg, vars)
      return v.t === 'double' ? { t: 'double', v: -v.v } : { t: 'int', v: -num(v) }
    }
    case 'cond': return bool(evaluate(n.c, vars)) ? evaluate(n.a, vars) : evaluate(n.b, vars)
    case 'bin': {
      if (n.op === '&&' || n.op === '||') {
        // CEL's logical operators are commutative: an error on one side is absorbed when the
        // other side decides the result.
        const side = (x: Node): boolean | EvalError => { try { return bool(evaluate(x, vars)) } catch (e) { return e as EvalError } }
        const l = side(n.l)
        const r = side(n.r)
        const decisive = n.op === '||'
        if (l === decisive || r === decisive) return { t: 'bool', v: decisive }
        if (l instanceof Error) throw l
        if (r instanceof Error) throw r
        return { t: 'bool', v: !decisive }
      }
      const l = evaluate(n.l, vars)
      const r = evaluate(n.r, vars)
      switch (n.op) {
        case '==': return { t: 'bool', v: l.t === 'bool' || r.t === 'bool' ? l.t === r.t && l.v === r.v : l.v === r.v }
        case '!=': return { t: 'bool', v: l.t === 'bool' || r.t === 'bool' ? !(l.t === r.t && l.v === r.v) : l.v !== r.v }
        case '<': return { t: 'bool', v: num(l) < num(r) }
        case '<=': return { t: 'bool', v: num(l) <= num(r) }
        case '>': return { t: 'bool', v: num(l) > num(r) }
        case '>=': return { t: 'bool', v: num(l) >= num(r) }
        default: return arith(n.op, l, r)
      }
    }
  }
}

export interface TripExpression {
  readonly source: string
  /** True only when the expression evaluates to the boolean true. */
  shouldTrip (counts: Counts): boolean
}

/**
 * @example
 * compileTrip('consecutiveFailures >= 5').shouldTrip({ ...zero, consecutiveFailures: 5 }) // true
 */
export function compileTrip (source: string): TripExpression {
  const root = parse(source)
  return {
    source,
    shouldTrip (counts) {
      try {
        const v = evaluate(root, counts)
        return v.t === 'bool' && v.v
      } catch {
        return false
      }
    }
  }
}
