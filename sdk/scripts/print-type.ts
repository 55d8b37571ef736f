// Prints a resolved wire type as plain TypeScript: objects, arrays, tuples, unions, intersections,
// literals and primitives, which is all JSON can carry. The checker's own printer is not used
// because it names any type that has an exported alias (`import("../../src/errors").ErrorCode`),
// which is exactly what the package must not contain. A type given a name in `named` (the other
// exports of types.ts) is printed as that name. Anything else (functions, classes, symbols, type
// parameters) is an error: it is not a wire type.

import ts from 'typescript'

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
const INTRINSIC = ts.TypeFlags.String | ts.TypeFlags.Number | ts.TypeFlags.BigInt | ts.TypeFlags.Boolean | ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Unknown | ts.TypeFlags.Any | ts.TypeFlags.Never | ts.TypeFlags.Void

export class WireTypePrinter {
  constructor(
    private readonly checker: ts.TypeChecker,
    /** Types printed by name rather than spelled out. */
    private readonly named: Map<ts.Type, string>,
  ) {}

  /** Spells `t` out (its own name is not used at the top, so an export is not defined as itself). */
  print(t: ts.Type, what: string): string {
    return this.type(t, '', what, new Set(), true)
  }

  private fail(what: string, t: ts.Type, why: string): never {
    throw new Error(`cannot write out ${what}: ${why} (${this.checker.typeToString(t)})`)
  }

  private type(t: ts.Type, indent: string, what: string, seen: Set<ts.Type>, top = false): string {
    const name = top ? undefined : this.named.get(t)
    if (name) return name
    if (seen.has(t)) this.fail(what, t, 'recursive types are not supported')
    const f = t.flags
    if (f & INTRINSIC) return this.checker.typeToString(t)
    if (t.isStringLiteral()) return quote(t.value)
    if (t.isNumberLiteral()) return String(t.value)
    if (f & ts.TypeFlags.BooleanLiteral) return this.checker.typeToString(t)
    const inner = new Set(seen).add(t)
    if (t.isUnion()) return this.union(t.types, indent, what, inner)
    if (t.isIntersection()) return t.types.map((p) => this.wrap(p, this.type(p, indent, what, inner))).join(' & ')
    if (this.checker.isArrayType(t)) {
      const [el] = this.checker.getTypeArguments(t as ts.TypeReference)
      const ro = (t as ts.TypeReference).target.symbol?.name === 'ReadonlyArray' ? 'readonly ' : ''
      return `${ro}${this.wrap(el, this.type(el, indent, what, inner))}[]`
    }
    if (this.checker.isTupleType(t)) {
      const target = (t as ts.TypeReference).target as ts.TupleType
      if (target.elementFlags.some((e) => !(e & ts.ElementFlags.Required))) this.fail(what, t, 'optional or rest tuple elements are not supported')
      return `[${this.checker.getTypeArguments(t as ts.TypeReference).map((el) => this.type(el, indent, what, inner)).join(', ')}]`
    }
    if (f & ts.TypeFlags.Object) return this.object(t, indent, what, inner)
    return this.fail(what, t, 'not a JSON shape')
  }

  /** `true | false` back to `boolean`; null and undefined last, as people write them. */
  private union(types: readonly ts.Type[], indent: string, what: string, seen: Set<ts.Type>): string {
    const isBool = (p: ts.Type) => (p.flags & ts.TypeFlags.BooleanLiteral) !== 0
    const isNullish = (p: ts.Type) => (p.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)) !== 0
    const merge = types.filter(isBool).length === 2
    const head = types.filter((p) => !isNullish(p) && !(merge && isBool(p))).map((p) => this.type(p, indent, what, seen))
    const tail = types.filter(isNullish).map((p) => this.type(p, indent, what, seen))
    return [...head, ...(merge ? ['boolean'] : []), ...tail].join(' | ')
  }

  private object(t: ts.Type, indent: string, what: string, seen: Set<ts.Type>): string {
    if (t.getCallSignatures().length || t.getConstructSignatures().length) this.fail(what, t, 'functions are not wire types')
    const next = indent + '  '
    const lines: string[] = []
    for (const info of this.checker.getIndexInfosOfType(t)) {
      const ro = info.isReadonly ? 'readonly ' : ''
      lines.push(`${next}${ro}[key: ${this.type(info.keyType, next, what, seen)}]: ${this.type(info.type, next, what, seen)}`)
    }
    for (const prop of this.checker.getPropertiesOfType(t)) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0
      const pt = this.checker.getTypeOfSymbol(prop)
      const undef = (p: ts.Type) => (p.flags & ts.TypeFlags.Undefined) !== 0
      // An optional property reads as T | undefined; it is written `name?: T`, as in the schema.
      const defined = optional && pt.isUnion() && pt.types.some(undef) ? pt.types.filter((p) => !undef(p)) : undefined
      const text = !defined
        ? this.type(pt, next, what, seen)
        : defined.length === 1
          ? this.type(defined[0], next, what, seen)
          : this.union(defined, next, what, seen)
      const decl = prop.declarations?.[0]
      const ro = decl && ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly ? 'readonly ' : ''
      const doc = ts.displayPartsToString(prop.getDocumentationComment(this.checker)).trim()
      if (doc) lines.push(`${next}/** ${doc.replace(/\n/g, `\n${next} * `)} */`)
      const key = IDENT.test(prop.name) ? prop.name : quote(prop.name)
      lines.push(`${next}${ro}${key}${optional ? '?' : ''}: ${text}`)
    }
    return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : '{}'
  }

  /** Parentheses where an operator would bind wrongly: `(A | B)[]`, `(A | B) & C`. */
  private wrap(t: ts.Type, text: string): string {
    return t.isUnion() && !this.named.has(t) && !(t.flags & ts.TypeFlags.Boolean) ? `(${text})` : text
  }
}
