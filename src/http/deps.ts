// What route modules receive: the services and a way to read the authenticated actor of a request.

import type { Config } from '../config'
import type { Services } from '../services'
import type { Actor } from '../services/actor'
import type { Broker } from '../broker/types'
import type { RequestStates } from '../request-state'

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

export const tenantSecurity: Record<string, string[]>[] = [{ apiKey: [], userId: [] }, { bearer: [] }]
export const adminSecurity: Record<string, string[]>[] = [{ masterKey: [] }]
