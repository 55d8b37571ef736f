// A pre-serialized JSON answer for hot read routes.

/**
 * Elysia passes a Response through as it is: no response-schema check and no normalizing copy of
 * the body. On a 50-message history page those two cost as much as the SQLite read (profile in
 * docs/performance.md). The route keeps its schema for OpenAPI, and the tests check the answers
 * against that schema, so the contract is still enforced, just not on every request.
 */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

/** The same for a body already encoded (the history cache's pages). */
export function jsonText(json: string, status = 200): Response {
  return new Response(json, { status, headers: { 'content-type': 'application/json' } })
}
