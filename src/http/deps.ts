// What route modules receive: the services and a way to read the authenticated actor of a request.

import type { Config } from '../config'
import type { Services } from '../services'
import type { Actor, AppCaller } from '../services/actor'
import type { Broker } from '../broker/types'
import type { RequestStates } from '../request-state'
import { costOf } from '../services/cost'
import { applyRateLimit } from './plugins/rate-limit'

export interface RouteDeps {
  config: Config
  services: Services
  /** Connection counts of a tenant (admin usage figures). */
  broker: Pick<Broker, 'connectionCount'>
  states: RequestStates
}

/** The actor that onRequest authenticated; routes under /v1 never run without one. */
export function actorOf(deps: RouteDeps, request: Request): Actor {
  const a = deps.states.get(request)?.actor
  if (!a) throw new Error('tenant route reached without an authenticated actor')
  return a
}

/**
 * The rest of a request's cost once its size is known (services/cost.ts): the gate in app.ts took one
 * token; a request over `items` items takes costOf(items) − 1 more, or answers 429 (with the headers
 * of the refused take). The response carries the X-RateLimit-* figures after this take. User and
 * app-level routes alike: the bucket is the tenant's.
 */
export async function chargeItems(deps: RouteDeps, request: Request, set: { headers: Record<string, unknown> }, items: number): Promise<void> {
  const extra = costOf(items) - 1
  if (extra <= 0) return
  const state = deps.states.get(request)
  const payer = state?.actor ?? state?.caller
  if (!state || !payer) throw new Error('tenant route reached without an authenticated caller')
  try {
    await applyRateLimit(deps.services.limiter, payer, state.headers, extra)
  } finally {
    Object.assign(set.headers, state.headers)
  }
}

/**
 * A list route's whole body: read the page, charge it by its item count (chargeItems), return it.
 * The read comes first because the cost is only known once the page is.
 */
export async function chargedPage<P>(
  deps: RouteDeps,
  request: Request,
  set: { headers: Record<string, unknown> },
  read: Promise<P>,
  items: (page: P) => number,
): Promise<P> {
  const page = await read
  await chargeItems(deps, request, set, items(page))
  return page
}

/** A create route's answer: status 201 and the created thing, once the write is done. */
export async function created<R>(set: { status?: number | string }, write: Promise<R>): Promise<R> {
  const r = await write
  set.status = 201
  return r
}

/** A delete route's answer: status 204 and no body, once the write is done. */
export async function noContent(set: { status?: number | string }, write: Promise<unknown>): Promise<void> {
  await write
  set.status = 204
}

/** The caller that onRequest authenticated on an app-level route (user optional). */
export function callerOf(deps: RouteDeps, request: Request): AppCaller {
  const c = deps.states.get(request)?.caller
  if (!c) throw new Error('app-level route reached without an authenticated caller')
  return c
}

/** The `detail` key that marks an app-level route; onRequest reads it from the mounted routes. */
export const APP_LEVEL = 'x-app-level'

/**
 * Marks a route as app-level (SPEC Revision 2): it acts for the parent app, so the API key alone
 * is enough and X-User-Id is optional (checked when sent). Such a route reads `callerOf`.
 */
export const appLevel = <D extends object>(detail: D): D => ({ ...detail, [APP_LEVEL]: true })

/**
 * A route `detail` key naming the media type of a success answer that is not JSON, by status (an
 * export's NDJSON stream): the OpenAPI document lists that status's schema under it
 * (http/openapi/document.ts). The route returns a Response with that Content-Type itself.
 */
export const MEDIA_TYPE = 'x-media-type'

/** True for a route marked with appLevel (its Elysia hooks hold the marked detail). */
export const isAppLevel = (hooks: unknown): boolean => (hooks as { detail?: Record<string, unknown> } | undefined)?.detail?.[APP_LEVEL] === true

/** The `detail` key of a route that reads its own body as a stream (uploads); onParse leaves it alone. */
export const STREAMED_BODY = 'x-streamed-body'
export const streamedBody = <D extends object>(detail: D): D => ({ ...detail, [STREAMED_BODY]: true })
export const isStreamedBody = (hooks: unknown): boolean => (hooks as { detail?: Record<string, unknown> } | undefined)?.detail?.[STREAMED_BODY] === true

/** The `detail` key of a route whose URL carries its own proof (a signed download): no credentials. */
export const SIGNED_URL = 'x-signed-url'
export const signedUrl = <D extends object>(detail: D): D => ({ ...detail, [SIGNED_URL]: true })
export const isSignedUrl = (hooks: unknown): boolean => (hooks as { detail?: Record<string, unknown> } | undefined)?.detail?.[SIGNED_URL] === true

/**
 * The `detail` key of answers the route's `response` schemas cannot describe (a file of any type,
 * 206, 304): OpenAPI response objects that the document adds beside the generated ones.
 */
export const EXTRA_RESPONSES = 'x-extra-responses'

// OpenAPI security of the routes (SPEC §2). X-User-Id is not a credential: the document lists it as a
// header parameter of every tenant operation (http/openapi/document.ts).
/** Calls for one user: the API key (with X-User-Id) or that user's token. */
export const tenantSecurity: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }]
/** Calls for the parent app: the API key only (a user token gets 403). */
export const appSecurity: Record<string, string[]>[] = [{ apiKey: [] }]
export const adminSecurity: Record<string, string[]>[] = [{ masterKey: [] }]
/** No credentials (/health, /metrics). */
export const openSecurity: Record<string, string[]>[] = []
