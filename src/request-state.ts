// Per-request state computed in onRequest (before Elysia parses the body) and read by routes, onError
// and the WebSocket upgrade; neutral ground so ws/ does not reach into http/.

import type { Actor, AppCaller } from './services/actor'

export interface RequestState {
  requestId: string
  startedAt: number
  /** Set for authenticated tenant calls (REST and the WS upgrade). */
  actor?: Actor
  /** Set instead of `actor` for app-level routes (http/deps.ts appLevel), which may have no user. */
  caller?: AppCaller
  /** Headers every response to this request carries (X-Request-Id, rate limit, CORS). */
  headers: Record<string, string>
  /** Route template, e.g. /v1/rooms/:room_id (for logs and metrics; never a raw id). */
  route: string
  /** The route reads its own body as a stream (uploads): the JSON body rules and parser stay out. */
  streamed?: boolean
  /** Set when the request ended in an error envelope (for logs and metrics). */
  status?: number
}

/** Keyed by the Request object, so nothing leaks between requests and nothing needs cleanup. */
export type RequestStates = WeakMap<Request, RequestState>
