// A pre-serialized JSON answer for hot read routes.

/** What the routes pass: Elysia's `set`, whose headers the request gate filled (request id, rate limit, CORS). */
export interface ResponseSet {
  headers: Record<string, unknown>
}

/**
 * Elysia passes a Response through as it is: no response-schema check and no normalizing copy of
 * the body. On a 50-message history page those two cost as much as the SQLite read (profile in
 * docs/performance.md). The route keeps its schema for OpenAPI, and the tests check the answers
 * against that schema, so the contract is still enforced, just not on every request.
 *
 * The headers the gate put in `set` go into the Response here and `set.headers` is emptied:
 * otherwise Elysia builds a second Response with a merged copy of the headers, which was a third
 * of a cached history page's time (docs/performance.md, 2026-12-03).
 */
export function jsonText(json: string, set: ResponseSet, status = 200): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  for (const k in set.headers) if (k !== 'content-type') headers[k] = String(set.headers[k])
  set.headers = {}
  return new Response(json, { status, headers })
}

export const jsonResponse = (body: unknown, set: ResponseSet, status = 200): Response => jsonText(JSON.stringify(body), set, status)
