// What route modules receive: the services and a way to read the authenticated actor of a request.

import type { Config } from '../config'
import type { Services } from '../services'
import type { Actor } from '../services/actor'
import type { Broker, PresenceStore } from '../broker/types'
import type { RequestStates } from './context'
import { costOf } from '../services/cost'
import { applyRateLimit } from './plugins/rate-limit'

export interface RouteDeps {
  config: Config
  services: Services
  broker: Broker
  presence: PresenceStore
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
 * of the refused take). The response carries the X-RateLimit-* figures after this take.
 */
export async function chargeItems(deps: RouteDeps, request: Request, set: { headers: Record<string, unknown> }, items: number): Promise<void> {
  const extra = costOf(items) - 1
  if (extra <= 0) return
  const state = deps.states.get(request)
  if (!state?.actor) throw new Error('tenant route reached without an authenticated actor')
  try {
    await applyRateLimit(deps.services.limiter, state.actor, state.headers, extra)
  } finally {
    Object.assign(set.headers, state.headers)
  }
}

export const tenantSecurity: Record<string, string[]>[] = [{ apiKey: [], userId: [] }, { bearer: [] }]
export const adminSecurity: Record<string, string[]>[] = [{ masterKey: [] }]
