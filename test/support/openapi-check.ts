// The independent response check: every answer call() receives is checked against the OpenAPI
// document that very server serves at /swagger/json, by Ajv compiled from that JSON (it never sees
// our TypeBox objects). An undocumented status, a body that does not match its documented media type
// and schema, a missing required header, or one of the API's own headers (X-Request-Id,
// X-RateLimit-*, Retry-After) where the document does not list it is a violation.
//
// CHATAPI_TEST_OPENAPI_CHECK: unset or "throw" → call() throws on a violation (the default);
// "record" → violations are appended as JSON lines to CHATAPI_TEST_OPENAPI_LOG and nothing throws
// (for counting); "off" → no check.

import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import { appendFileSync } from 'node:fs'

const MODE = process.env.CHATAPI_TEST_OPENAPI_CHECK ?? 'throw'
/** Headers the API itself sets; each must be documented wherever it appears. */
const API_HEADERS = ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after']
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete'])

type Json = Record<string, any>
interface Operation {
  method: string
  template: string
  pattern: RegExp
  responses: Record<string, Json>
}
interface Checker {
  doc: Json
  operations: Operation[]
  ajv: Ajv2020
  compiled: Map<string, ValidateFunction>
}

export interface Exchange {
  method: string
  path: string
  status: number
  headers: Headers
  text: string
}

const checkers = new Map<string, Promise<Checker | null>>()

export const openapiCheckEnabled = MODE !== 'off' && MODE !== '0'

/** Violations of the served document by one exchange; null when no documented operation applies. */
export async function violationsOf(base: string, x: Exchange): Promise<string[] | null> {
  const method = x.method.toLowerCase()
  // The path as fetch sent it: dot segments (".", "..", "%2e%2e") resolved, as the server saw it; a
  // trailing slash reaches the same route as without one.
  const path = new URL(base + x.path).pathname.replace(/(.)\/$/, '$1')
  if (!METHODS.has(method) || path.startsWith('/swagger')) return null
  let pending = checkers.get(base)
  if (!pending) checkers.set(base, (pending = loadChecker(base)))
  const checker = await pending
  if (!checker) return null
  const op = checker.operations.find((o) => o.method === method && o.pattern.test(path))
  if (!op) return null // not an operation of the document (an unknown route's 404, a preflight)
  const where = `${x.method.toUpperCase()} ${op.template} → ${x.status}`
  const response = resolve(checker.doc, op.responses[String(x.status)] ?? op.responses[`${String(x.status)[0]}XX`] ?? op.responses.default)
  if (!response) return [`${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')})`]
  return [...headerViolations(checker, where, response, x.headers), ...bodyViolations(checker, `${op.method} ${op.template} ${x.status}`, where, response, x)]
}

/** Runs the check for call(): throws, records or does nothing, per CHATAPI_TEST_OPENAPI_CHECK. */
export async function enforce(base: string, x: Exchange): Promise<void> {
  if (!openapiCheckEnabled) return
  const found = await violationsOf(base, x)
  if (MODE === 'record') {
    // One line per checked exchange, so a run can report "N violations in M responses".
    const log = process.env.CHATAPI_TEST_OPENAPI_LOG ?? 'openapi-check.jsonl'
    if (found) appendFileSync(log, JSON.stringify({ method: x.method, path: x.path, status: x.status, violations: found }) + '\n')
    return
  }
  if (!found?.length) return
  throw new Error(`response does not match the served OpenAPI document:\n  ${found.join('\n  ')}\n  body: ${x.text.slice(0, 500)}`)
}

async function loadChecker(base: string): Promise<Checker | null> {
  let doc: Json
  try {
    const res = await fetch(`${base}/swagger/json`)
    if (res.status !== 200) return null
    doc = (await res.json()) as Json
  } catch {
    return null // not a ChatAPI server (a webhook receiver), or already stopped
  }
  if (typeof doc?.openapi !== 'string' || !doc.paths) return null
  const operations: Operation[] = []
  for (const [template, item] of Object.entries(doc.paths as Record<string, Json>))
    for (const [method, op] of Object.entries(item))
      if (METHODS.has(method))
        operations.push({
          method,
          template,
          pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
          responses: (op as Json).responses ?? {},
        })
  // Literal paths before templated ones, so /v1/rooms/x/read never matches a shorter template by accident.
  operations.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  return { doc, operations, ajv, compiled: new Map() }
}

/** Follows a local $ref (responses and headers may be references to components). */
function resolve(doc: Json, node: Json | undefined): Json | undefined {
  let n = node
  for (let i = 0; n && typeof n.$ref === 'string' && i < 10; i++) {
    n = n.$ref
      .slice(2)
      .split('/')
      .reduce((o: Json | undefined, k: string) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc)
  }
  return n
}

function validator(c: Checker, key: string, schema: Json): ValidateFunction {
  let v = c.compiled.get(key)
  if (!v) {
    // The schema is compiled with the document's components beside it, so its
    // "#/components/schemas/…" references resolve exactly as in the document.
    v = c.ajv.compile({ ...schema, components: c.doc.components })
    c.compiled.set(key, v)
  }
  return v
}

function headerViolations(c: Checker, where: string, response: Json, headers: Headers): string[] {
  const out: string[] = []
  const documented = new Map<string, Json>()
  for (const [name, h] of Object.entries((response.headers ?? {}) as Record<string, Json>)) documented.set(name.toLowerCase(), resolve(c.doc, h)!)
  for (const [name, h] of documented) {
    const value = headers.get(name)
    if (value === null) {
      if (h.required) out.push(`${where}: required header ${name} missing`)
      continue
    }
    const schema = h.schema ?? {}
    const typed = schema.type === 'integer' || schema.type === 'number' ? (/^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value) : value
    const v = validator(c, `header ${where} ${name}`, schema)
    if (!v(typed)) out.push(`${where}: header ${name}=${JSON.stringify(value)} ${c.ajv.errorsText(v.errors)}`)
  }
  for (const name of API_HEADERS)
    if (headers.has(name) && !documented.has(name)) out.push(`${where}: header ${name} is sent but not documented`)
  return out
}

function bodyViolations(c: Checker, key: string, where: string, response: Json, x: Exchange): string[] {
  const content = (response.content ?? {}) as Record<string, Json>
  const types = Object.keys(content)
  if (!types.length) return x.text.length ? [`${where}: a body is sent but none is documented`] : []
  if (!x.text.length) return [`${where}: no body, but ${types.join(', ')} is documented`]
  const sent = (x.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
  // An exact media type first, then a range (a downloaded file is documented as */*, served as stored).
  const media = types.find((t) => t.toLowerCase() === sent) ?? types.find((t) => t.endsWith('/*') && sent.startsWith(t.slice(0, -1).toLowerCase())) ?? types.find((t) => t === '*/*')
  if (!media) return [`${where}: content-type ${sent || '(none)'} is not documented (documented: ${types.join(', ')})`]
  let value: unknown = x.text
  if (media === 'application/x-ndjson') {
    // A stream of JSON lines (the exports): each line is one value of the documented schema.
    const v = validator(c, `body ${key} ${media}`, content[media].schema ?? {})
    if (!x.text.endsWith('\n')) return [`${where}: NDJSON body does not end with a newline`]
    for (const [i, line] of x.text.slice(0, -1).split('\n').entries()) {
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        return [`${where}: NDJSON line ${i + 1} is not JSON`]
      }
      if (!v(parsed)) return [`${where}: NDJSON line ${i + 1} ${c.ajv.errorsText(v.errors, { separator: '; ' })}`]
    }
    return []
  }
  if (media === 'application/json') {
    try {
      value = JSON.parse(x.text)
    } catch {
      return [`${where}: body is not JSON`]
    }
  }
  const v = validator(c, `body ${key} ${media}`, content[media].schema ?? {})
  return v(value) ? [] : [`${where}: body ${c.ajv.errorsText(v.errors, { separator: '; ' })}`]
}
