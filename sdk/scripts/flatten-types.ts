// Writes sdk/src/types.ts out as plain TypeScript for the package's types.d.ts.
//
// types.ts derives every wire type from the server (Static<> of its TypeBox schemas, the route
// modules' Elysia types, the error codes). Shipped as tsc emits it, types.d.ts would import ../src
// and pull @sinclair/typebox and elysia into every user's type check (tsc cannot even emit the
// schemas' declarations: TS4023). Instead each export is resolved by the type checker and printed
// structurally (print-type.ts): no imports, no dependencies. A generic export whose parameter
// ranges over literals (ServerFrame<K>, ClientFrame<K>) becomes a map indexed by K. verifySource()
// then states, for the compiler to check, that every written type is identical to its source type,
// so the package cannot drift from the server it was built from.

import ts from 'typescript'
import { WireTypePrinter } from './print-type'

/** One export of types.ts, as it will be written. */
export interface Entry {
  name: string
  /** JSDoc of the declaration, kept for editors. */
  doc: string
  /** type: an alias or interface; generic: an alias with one type parameter over literals. */
  kind: 'type' | 'generic'
  /** generic only: its type parameter, its literals (as source text) and those of its default. */
  param?: { name: string; keys: string[]; defaultKeys?: string[] }
}

const fail = (name: string, why: string): never => {
  throw new Error(`sdk/src/types.ts: export ${name} cannot be written out: ${why}`)
}

function jsdocOf(decl: ts.Declaration): string {
  const sf = decl.getSourceFile()
  const ranges = ts.getLeadingCommentRanges(sf.text, decl.getFullStart()) ?? []
  const docs = ranges.filter((r) => sf.text.startsWith('/**', r.pos)).map((r) => sf.text.slice(r.pos, r.end))
  return docs.at(-1) ?? ''
}

function literalKeys(checker: ts.TypeChecker, t: ts.Type): string[] | undefined {
  const parts = t.isUnion() ? t.types : [t]
  if (!parts.every((p) => p.isStringLiteral() || p.isNumberLiteral())) return undefined
  return parts.map((p) => checker.typeToString(p))
}

/** Whether an import/export chain says `type` somewhere (`export type { X }`, `import type { X }`). */
function isTypeOnlyAlias(checker: ts.TypeChecker, sym: ts.Symbol): boolean {
  for (let s: ts.Symbol | undefined = sym; s && s.flags & ts.SymbolFlags.Alias; s = checker.getImmediateAliasedSymbol(s))
    if (s.declarations?.some((d) => ts.isTypeOnlyImportOrExportDeclaration(d))) return true
  return false
}

/** Lists the exports of types.ts and how each will be written. */
export function planExports(program: ts.Program, typesFile: string): Entry[] {
  const checker = program.getTypeChecker()
  const sf = program.getSourceFile(typesFile) ?? fail('*', `${typesFile} is not in the program`)
  const moduleSymbol = checker.getSymbolAtLocation(sf) ?? fail('*', 'not a module')
  return checker.getExportsOfModule(moduleSymbol).map((exported): Entry => {
    const name = exported.name
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    // `export type { X }` of a name that is also a value (a schema and its type) exports the type only.
    const typeOnly = isTypeOnlyAlias(checker, exported)
    if (target.flags & ts.SymbolFlags.Value && !typeOnly) fail(name, 'types.ts must stay type-only (values belong in the other modules)')
    const decls = target.declarations ?? []
    const decl = decls.find((d) => ts.isTypeAliasDeclaration(d) || ts.isInterfaceDeclaration(d)) ?? decls[0] ?? fail(name, 'no declaration')
    const doc = jsdocOf(decl)
    if (ts.isInterfaceDeclaration(decl)) {
      if (decl.typeParameters?.length) fail(name, 'generic interfaces are not supported')
      return { name, doc, kind: 'type' }
    }
    if (!ts.isTypeAliasDeclaration(decl)) return fail(name, `unsupported declaration kind ${ts.SyntaxKind[decl.kind]}`)
    const params = decl.typeParameters ?? []
    if (params.length === 0) return { name, doc, kind: 'type' }
    const tp = params[0]
    if (params.length > 1 || !tp.constraint) fail(name, 'only one type parameter with a constraint is supported')
    // Sorted: the checker's union order follows the order it met the literals in, which is not stable.
    const keysOf = (node: ts.TypeNode) =>
      (literalKeys(checker, checker.getTypeFromTypeNode(node)) ?? fail(name, 'its type parameter must range over string or number literals')).sort()
    const param = { name: tp.name.text, keys: keysOf(tp.constraint!), defaultKeys: tp.default && keysOf(tp.default) }
    return { name, doc, kind: 'generic', param }
  })
}

const probeName = (i: number) => `__flat_${i}`

/** A module beside types.ts that names, for the checker, every type to write out. */
export function probeSource(plan: Entry[]): string {
  const lines = [`import type * as S from './types'`]
  plan.forEach((e, i) => {
    const ref = `S.${e.name}`
    if (e.kind !== 'generic') lines.push(`export type ${probeName(i)} = ${ref}`)
    else lines.push(`export type ${probeName(i)} = { ${e.param!.keys.map((k) => `${k}: ${ref}<${k}>`).join('; ')} }`)
  })
  return lines.join('\n') + '\n'
}

/** Prints every export of the plan, resolved through the probe module, as one declaration file. */
export function renderTypes(program: ts.Program, plan: Entry[], probeFile: string, header: string): string {
  const checker = program.getTypeChecker()
  const probe = program.getSourceFile(probeFile) ?? fail('*', 'probe module missing from the program')
  const aliases = new Map<string, ts.TypeAliasDeclaration>()
  for (const st of probe.statements) if (ts.isTypeAliasDeclaration(st)) aliases.set(st.name.text, st)
  const types = plan.map((_e, i) => checker.getTypeAtLocation(aliases.get(probeName(i))!.name))
  // Where one export appears inside another (an interface in a union, ErrorCode in ErrorFrame), it is named.
  const named = new Map<ts.Type, string>()
  plan.forEach((e, i) => e.kind !== 'generic' && !named.has(types[i]) && named.set(types[i], e.name))
  const printer = new WireTypePrinter(checker, named)
  const print = (t: ts.Type, e: Entry) => {
    try {
      return printer.print(t, e.name)
    } catch (err) {
      return fail(e.name, (err as Error).message)
    }
  }
  // A generic's constraint is named when it is one of the exports (ServerFrame<K extends ServerFrameType>).
  const exportKeys = plan.map((e, i) => (e.kind === 'type' ? literalKeys(checker, types[i])?.sort().join(' | ') : undefined))
  const nameFor = (keys: string[]) => {
    const same = exportKeys.indexOf(keys.join(' | '))
    return same >= 0 ? plan[same].name : keys.join(' | ')
  }
  const out = [header]
  plan.forEach((e, i) => {
    if (e.doc) out.push(e.doc)
    if (e.kind !== 'generic') {
      out.push(`export type ${e.name} = ${print(types[i], e)}`, '')
      return
    }
    const p = e.param!
    const dflt = p.defaultKeys ? ` = ${nameFor(p.defaultKeys)}` : ''
    out.push(`export type ${e.name}<${p.name} extends ${nameFor(p.keys)}${dflt}> = ${print(types[i], e)}[${p.name}]`, '')
  })
  return out.join('\n')
}

/**
 * A module beside types.ts asserting that every written type is identical to its source type
 * (generics: with their default and with each key). Each assertion is one line, ending in a comment
 * that names the type it checks.
 */
export function verifySource(plan: Entry[], writtenModule: string): string {
  const lines = [
    `import type * as S from './types'`,
    `import type * as F from ${JSON.stringify(writtenModule)}`,
    `type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false`,
  ]
  for (const e of plan) {
    if (e.kind !== 'generic' || e.param!.defaultKeys) lines.push(`export const same_${e.name}: Same<S.${e.name}, F.${e.name}> = true // ${e.name}`)
    if (e.kind === 'generic')
      e.param!.keys.forEach((k, j) => lines.push(`export const same_${e.name}_${j}: Same<S.${e.name}<${k}>, F.${e.name}<${k}>> = true // ${e.name}<${k}>`))
  }
  return lines.join('\n') + '\n'
}
