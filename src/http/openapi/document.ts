// The OpenAPI document served at /swagger/json. @elysiajs/openapi generates it from the routes'
// schemas and `detail`; `finish` below is the one place that edits what it generated, for what the
// generator cannot express (each step says why). test/openapi/ checks the result with swagger-parser,
// Redocly and openapi-typescript, and every answer a test receives through call() is checked against it.

import { toOpenAPISchema } from '@elysiajs/openapi'
import { unwrapSchema } from '@elysiajs/openapi/openapi'
import { OptionalKind, type TSchema } from '@sinclair/typebox'
import type { AnyElysia, InternalRoute } from 'elysia'
import { DOCUMENTED_AS, DOCUMENTED_REQUIRED } from '../../schemas/common'
import { APP_LEVEL, EXTRA_RESPONSES, SIGNED_URL, STREAMED_BODY } from '../deps'
import { COMPONENT_SCHEMAS, DOCUMENT_HEAD, ERROR_RESPONSE_NAMES, HEADERS, PARAMETERS } from './parts'

type Json = Record<string, any>
const VERSION = '3.1.2'
const METHODS = ['get', 'post', 'put', 'patch', 'delete']

/** What kind of caller a path serves, as app.ts decides it in onRequest. */
export const areaOf = (path: string) => (path.startsWith('/v1/admin/') ? 'admin' : path.startsWith('/v1/') ? 'tenant' : 'open')

/** What the builder reads of the app: every mounted route (a plugin instance sees its root's). */
export interface RouteSource {
  getGlobalRoutes(): InternalRoute[]
  getGlobalDefinitions?(): unknown
}

export function buildOpenApiDocument(app: RouteSource, version: string): Json {
  const routes = app.getGlobalRoutes()
  // The generator lists a body's media types from the route's parse hooks and skips function hooks.
  // Ours is one (app.ts onParse: the JSON reader that counts bytes as they arrive), so every body came
  // out as `content: {}`. It is shown the routes as parsing JSON, which is what that reader does;
  // parsing itself is untouched (this is a view for the generator only).
  const view = {
    getGlobalRoutes: () => routes.map((r) => (r.hooks?.body ? { ...r, hooks: { ...r.hooks, parse: [{ fn: 'application/json' }] } } : r)),
    getGlobalDefinitions: () => app.getGlobalDefinitions?.(),
  } as unknown as AnyElysia
  const generated = toOpenAPISchema(view, { paths: [/^\/swagger/] }, undefined, undefined, VERSION) as Json
  const optionalBodies = new Set(routes.filter((r) => (r.hooks?.body as Record<symbol, unknown> | undefined)?.[OptionalKind]).map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, '{$1}')}`))
  return finish(generated.paths, optionalBodies, version)
}

/** A TypeBox schema as the generator writes it; its own annotations kept (the generator drops them from a union it turns into an enum). */
const toDoc = (s: TSchema): Json => {
  const own = Object.fromEntries(['description', 'default', 'examples'].filter((k) => s[k] !== undefined).map((k) => [k, s[k]]))
  return { ...(unwrapSchema(s, undefined, 'input', VERSION) as Json), ...own }
}

function finish(paths: Record<string, Json>, optionalBodies: Set<string>, version: string): Json {
  const signed = new Set<string>()
  for (const [path, item] of Object.entries(paths))
    for (const method of METHODS) {
      const op = item[method] as Json | undefined
      if (!op) continue
      // A signed URL (deps.ts signedUrl) carries its own proof: no credentials, no X-User-Id.
      if (op[SIGNED_URL] === true) signed.add(`${method} ${path}`)
      const area = signed.has(`${method} ${path}`) ? 'open' : areaOf(path)
      // The app-level marker (deps.ts appLevel) is for onRequest; the document says it with X-User-Id's wording.
      const appLevel = op[APP_LEVEL] === true
      // Answers a schema cannot describe (a file): added beside the generated ones.
      Object.assign((op.responses ??= {}), structuredClone(op[EXTRA_RESPONSES] ?? {}))
      for (const marker of [APP_LEVEL, SIGNED_URL, STREAMED_BODY, EXTRA_RESPONSES]) delete op[marker]
      op.parameters = parameters(op.parameters ?? [], area, appLevel)
      if (!op.parameters.length) delete op.parameters
      if (op.requestBody) {
        // The generator marks every body required; rotate-key's may be left out.
        op.requestBody.required = !optionalBodies.has(`${method} ${path}`)
        if (op.requestBody.description === undefined) delete op.requestBody.description
        for (const media of Object.values(op.requestBody.content as Record<string, Json>)) hoistExample(media)
      }
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        // t.Void (a 204) comes out as `content: {type: "void", …}`, which is not a media type map: no body.
        if (status === '204' || Object.keys(response.content ?? {}).some((k) => !k.includes('/'))) delete response.content
        for (const media of Object.values((response.content ?? {}) as Record<string, Json>)) hoistExample(media)
        response.headers = { ...response.headers, ...headersFor(area, status) }
      }
    }
  swapDocumentedSchemas(paths)
  const schemas = shareSchemas(paths)
  const responses = shareErrorResponses(paths, signed)
  return {
    openapi: VERSION,
    ...DOCUMENT_HEAD(version),
    paths,
    components: { ...DOCUMENT_HEAD(version).components, schemas, responses, headers: HEADERS, parameters: PARAMETERS },
  }
}

/**
 * Parameters: a ServiceChecked query value shows what the service requires; the description and
 * example sit on the parameter (where Swagger UI and linters read them), not only in its schema; and
 * every tenant operation lists X-User-Id, which is not a credential (a missing one is a 400, SPEC §2).
 */
function parameters(list: Json[], area: string, appLevel: boolean): Json[] {
  for (const p of list) {
    if (p.schema?.[DOCUMENTED_REQUIRED]) p.required = true
    p.schema = swapped(p.schema)
    const { description, examples, ...schema } = p.schema
    if (description) p.description = description
    if (examples?.length) p.example = examples[0]
    p.schema = schema
  }
  if (area === 'tenant' && !list.some((p) => p.in === 'header' && p.name.toLowerCase() === 'x-user-id'))
    list.push({ $ref: `#/components/parameters/${appLevel ? 'XUserIdAppLevel' : 'XUserId'}` })
  return list
}

/**
 * A body schema's example moves to its media type, where Swagger UI fills "Try it out" from it
 * (a shared component keeps its own examples too).
 */
function hoistExample(media: Json) {
  const examples = media.schema?.examples as unknown[] | undefined
  if (!examples?.length) return
  media.example ??= examples[0]
  const { examples: _, ...schema } = media.schema
  media.schema = schema
}

/** X-Request-Id on every answer; on tenant calls the rate-limit headers (set once the tenant is known), and Retry-After on 429. */
function headersFor(area: string, status: string): Json {
  const ref = (name: string) => ({ $ref: `#/components/headers/${name}` })
  const headers: Json = { 'X-Request-Id': ref('XRequestId') }
  if (area !== 'tenant' || status === '401') return headers // a 401 comes before the tenant is known
  const always = status.startsWith('2') || status === '429'
  for (const h of ['Limit', 'Remaining', 'Reset']) headers[`X-RateLimit-${h}`] = ref(`XRateLimit${h}${always ? '' : 'IfKnown'}`)
  if (status === '429') headers['Retry-After'] = ref('RetryAfter')
  return headers
}

/**
 * ServiceChecked schemas carry what the document shows in their place (schemas/common.ts). And
 * `additionalProperties: false` goes: Elysia's normalize writes it into a route's schema objects when
 * it compiles the route, lazily, so the generated document depended on which routes had been called.
 * It would also be untrue of bodies: unknown fields are ignored, not refused (SPEC §3).
 */
function swapped(node: unknown): any {
  if (Array.isArray(node)) return node.map(swapped)
  if (!node || typeof node !== 'object') return node
  const o = node as Json
  if (o[DOCUMENTED_AS]) return swapped(toDoc(o[DOCUMENTED_AS]))
  const out: Json = {}
  for (const [k, v] of Object.entries(o)) if (k !== DOCUMENTED_REQUIRED && !(k === 'additionalProperties' && v === false)) out[k] = swapped(v)
  return out
}
function swapDocumentedSchemas(paths: Record<string, Json>) {
  for (const item of Object.values(paths))
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      for (const media of Object.values((op.requestBody?.content ?? {}) as Record<string, Json>)) media.schema = swapped(media.schema)
      for (const r of Object.values(op.responses as Record<string, Json>))
        for (const media of Object.values((r.content ?? {}) as Record<string, Json>)) media.schema = swapped(media.schema)
    }
}

const ANNOTATIONS = new Set(['description', 'examples', 'default', 'title'])
/** A schema's structure, without its own annotations (a copy may describe itself differently). */
const shape = (s: Json) => canonical(Object.fromEntries(Object.entries(s).filter(([k]) => !ANNOTATIONS.has(k))))
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]` : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Json)[k])}`).join(',')}}` : JSON.stringify(v)

/**
 * The error envelope and the main objects become components.schemas, and every copy a `$ref`: the
 * generator inlines each route's TypeBox schema whole (the envelope alone was copied 266 times).
 * A copy is recognised by its structure, so only a schema that really is the same object is shared.
 */
function shareSchemas(paths: Record<string, Json>): Json {
  const named = Object.entries(COMPONENT_SCHEMAS).map(([name, s]) => ({ name, schema: swapped(toDoc(s)) as Json }))
  const byShape = new Map(named.map((c) => [shape(c.schema), c.name]))
  const used = new Set<string>()
  const share = (node: unknown, isRoot = false): unknown => {
    if (Array.isArray(node)) return node.map((n) => share(n))
    if (!node || typeof node !== 'object') return node
    const o = node as Json
    const name = !isRoot && (o.type || o.properties) ? byShape.get(shape(o)) : undefined
    if (name) {
      used.add(name)
      return { $ref: `#/components/schemas/${name}` }
    }
    // Only schema keywords hold schemas; `example(s)` and `default` hold data.
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === 'example' || k === 'examples' || k === 'default' || k === 'enum' || k === 'const' ? v : share(v)]))
  }
  for (const item of Object.values(paths))
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      for (const media of Object.values((op.requestBody?.content ?? {}) as Record<string, Json>)) media.schema = share(media.schema)
      for (const r of Object.values(op.responses as Record<string, Json>))
        for (const media of Object.values((r.content ?? {}) as Record<string, Json>)) media.schema = share(media.schema)
    }
  const out: Json = {}
  // Components refer to each other too (RoomListItem.last_message is a Message); follow until no new name appears.
  for (let grown = true; grown; ) {
    grown = false
    for (const c of named)
      if (used.has(c.name) && !out[c.name]) {
        out[c.name] = share(c.schema, true)
        grown = true
      }
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]))
}

/** Error answers repeat per operation word for word: each becomes one components.responses entry per area and status. */
function shareErrorResponses(paths: Record<string, Json>, signed: Set<string>): Json {
  const shared: Json = {}
  for (const [path, item] of Object.entries(paths))
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        if (r.content?.['application/json']?.schema?.$ref !== '#/components/schemas/Error') continue
        const name = `${ERROR_RESPONSE_NAMES[signed.has(`${method} ${path}`) ? 'open' : areaOf(path)]}${status}`
        shared[name] ??= r
        if (canonical(shared[name]) === canonical(r)) op.responses[status] = { $ref: `#/components/responses/${name}` }
        else if (canonical({ ...shared[name], description: '' }) === canonical({ ...r, description: '' }))
          op.responses[status] = { $ref: `#/components/responses/${name}`, description: r.description }
      }
    }
  return Object.fromEntries(Object.keys(shared).sort().map((k) => [k, shared[k]]))
}
