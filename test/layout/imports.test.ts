// The product's import graph: no cycles in src/ (type-only imports count: they couple modules
// just as much), nothing imported from outside src/ but packages, and every package a service
// loads at run time is a production dependency. Drives every module, so it maps to no source.
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'
import ts from 'typescript'

interface Edge { to: string, typeOnly: boolean }

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => resolve(e.parentPath, e.name))
    .sort()
}

/** Every module specifier of a file: static imports and re-exports (with their type-only flag), dynamic imports. */
function specifiers (file: string): Array<{ spec: string, typeOnly: boolean }> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)
  const found: Array<{ spec: string, typeOnly: boolean }> = []
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)))
      found.push({ spec: node.moduleSpecifier.text, typeOnly })
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ spec: node.moduleSpecifier.text, typeOnly: node.isTypeOnly })
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] !== undefined && ts.isStringLiteral(node.arguments[0])) {
      found.push({ spec: node.arguments[0].text, typeOnly: false })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/** The graph of relative imports between the .ts files under `root`; `.js` specifiers name `.ts` files. */
function importGraph (root: string): { graph: Map<string, Edge[]>, packages: Map<string, Set<string>>, outside: string[] } {
  const graph = new Map<string, Edge[]>()
  const packages = new Map<string, Set<string>>()
  const outside: string[] = []
  for (const file of sourceFiles(root)) {
    const edges: Edge[] = []
    for (const { spec, typeOnly } of specifiers(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
        if (!target.startsWith(root + '/')) outside.push(`${relative(root, file)} -> ${spec}`)
        else edges.push({ to: target, typeOnly })
      } else if (!typeOnly) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] as string
        packages.set(name, (packages.get(name) ?? new Set()).add(relative(root, file)))
      }
    }
    graph.set(file, edges)
  }
  return { graph, packages, outside }
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles (graph: Map<string, Edge[]>): string[][] {
  let index = 0
  const indexes = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const connect = (v: string): void => {
    indexes.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const { to } of graph.get(v) ?? []) {
      if (!indexes.has(to)) {
        connect(to)
        low.set(v, Math.min(low.get(v) as number, low.get(to) as number))
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v) as number, indexes.get(to) as number))
      }
    }
    if (low.get(v) === indexes.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop() as string
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v)
      if (component.length > 1 || selfLoop) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!indexes.has(v)) connect(v)
  return found
}

const SRC = resolve('src')

t.test('the detector finds a cycle, type-only or not, and a module importing itself', async (t) => {
  const dir = resolve(t.testdir(), 'src')
  mkdirSync(join(dir, 'x'), { recursive: true })
  writeFileSync(join(dir, 'a.ts'), "import { b } from './x/b.js'\nexport const a = b\n")
  writeFileSync(join(dir, 'x/b.ts'), "import type { A } from '../a.js'\nexport const b = 1\nexport type B = A\n")
  writeFileSync(join(dir, 'c.ts'), "export * from './c.js'\n")
  writeFileSync(join(dir, 'd.ts'), "import { a } from './a.js'\nexport const d = async () => await import('./e.js')\n")
  writeFileSync(join(dir, 'e.ts'), "import fp from 'fastify-plugin'\nimport type { Logger } from 'pino'\nimport { z } from '../outside.js'\nexport const e: [typeof fp, Logger?, unknown?] = [fp, undefined, z]\n")
  const { graph, packages, outside } = importGraph(dir)
  const rel = (files: string[]) => files.map((f) => relative(dir, f))
  t.same(cycles(graph).map(rel).sort(), [['a.ts', 'x/b.ts'], ['c.ts']])
  t.same([...packages.keys()], ['fastify-plugin'], 'type-only package imports are not run-time dependencies')
  t.same(outside, ['e.ts -> ../outside.js'])
})

t.test('src/ has no import cycle', async (t) => {
  const { graph } = importGraph(SRC)
  t.ok(graph.size > 20, `${graph.size} modules read`)
  t.ok([...graph.values()].some((edges) => edges.length > 0), 'imports were found')
  t.same(cycles(graph).map((c) => c.map((f) => relative(SRC, f))), [], 'no cycle')
})

t.test('src/ imports nothing outside itself but packages, and only production dependencies at run time', async (t) => {
  const { packages, outside } = importGraph(SRC)
  t.same(outside, [], 'the product never reaches into local-dapr/, test/ or bench/')
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> }
  const builtins = new Set(builtinModules)
  const missing = [...packages].filter(([name]) => !name.startsWith('node:') && !builtins.has(name) && !(name in manifest.dependencies))
  t.same(missing, [], 'every package src/ loads is in dependencies')
})
