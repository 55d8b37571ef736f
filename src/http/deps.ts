// What route modules receive: the services and a way to read the authenticated actor of a request.

import type { Config } from '../config'
import type { Services } from '../services'
import type { Actor } from '../services/actor'
import type { Broker, PresenceStore } from '../broker/types'
import type { RequestStates } from './context'

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

// OpenAPI security of the routes (SPEC §2). X-User-Id is not a credential: the document lists it as a
// header parameter of every tenant operation (http/openapi/document.ts).
/** Calls for one user: the API key (with X-User-Id) or that user's token. */
export const tenantSecurity: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }]
/** Calls for the parent app: the API key only (a user token gets 403). */
export const appSecurity: Record<string, string[]>[] = [{ apiKey: [] }]
export const adminSecurity: Record<string, string[]>[] = [{ masterKey: [] }]
/** No credentials (/health, /metrics). */
export const openSecurity: Record<string, string[]>[] = []
