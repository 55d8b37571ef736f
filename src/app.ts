// createApp: assembles Elysia (request gate, body parser, error mapping, routes, docs). Never listens.

import { Elysia } from 'elysia'
import type { Config } from './config'
import type { Logger } from './log'
import { AppError } from './errors'
import type { RequestState, RequestStates } from './http/context'
import { isAppLevel, type RouteDeps } from './http/deps'
import { createRequestIds } from './http/plugins/request-id'
import { createRouteMatcher, type RouteMatcher } from './http/plugins/route-match'
import { createCors } from './http/plugins/cors'
import { createAuth, type TokenVerifier } from './http/plugins/auth'
import { applyRateLimit } from './http/plugins/rate-limit'
import { checkBodyHeaders, parseJsonBody } from './http/plugins/body'
import { refuseNulInUrl } from './http/plugins/nul'
import { errorResponse, toAppError } from './http/plugins/errors'
import { openapiPlugin } from './http/plugins/openapi'
import { roomsRoutes } from './http/routes/rooms'
import { membersRoutes } from './http/routes/members'
import { messagesRoutes } from './http/routes/messages'
import { acksRoutes } from './http/routes/acks'
import { adminTenantsRoutes } from './http/routes/admin-tenants'
import { healthRoutes, type HealthSource } from './http/routes/health'
import { asyncapiRoutes } from './http/routes/asyncapi'

export interface AppDeps extends RouteDeps {
  log: Logger
  health: HealthSource
  verifyToken: TokenVerifier
  /** Called once per finished request (metrics); `route` is the template, never a raw path. */
  onRequestDone?: (method: string, route: string, status: number, seconds: number) => void
  /** Extra route modules (the WebSocket gateway, later the presence route) mounted after the REST API. */
  extensions?: ((app: Elysia) => Elysia)[]
}

const pathOf = (url: string) => {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  const q = url.indexOf('?', start)
  return q === -1 ? url.slice(start) : url.slice(start, q)
}

export function createApp(deps: AppDeps) {
  const { config, log, states } = deps
  const cors = createCors(config.CORS_ORIGINS)
  const auth = createAuth({ tenants: deps.services.tenant, masterKey: config.MASTER_API_KEY, verifyToken: deps.verifyToken })
  let matcher: RouteMatcher | null = null
  /** `METHOD template` of the routes marked appLevel (http/deps.ts): their X-User-Id is optional. */
  let appLevelRoutes: Set<string> | null = null
  const requestIdFor = createRequestIds()

  const app = new Elysia({ normalize: true })
    // SPEC §3 order: unknown route 404 → credentials → rate limit → size 413 → media type 415.
    // All of it runs here, in onRequest, before Elysia reads the body.
    .onRequest(async ({ request, set }) => {
      const state: RequestState = { requestId: requestIdFor(request), startedAt: performance.now(), headers: {}, route: '' }
      states.set(request, state)
      state.headers['x-request-id'] = state.requestId
      Object.assign(state.headers, cors.headersFor(request))
      const preflight = cors.preflight(request)
      if (preflight) return preflight
      const path = pathOf(request.url)
      matcher ??= createRouteMatcher(app.routes)
      const route = matcher.match(request.method, path)
      if (!route) throw new AppError('NOT_FOUND', 'route not found')
      state.route = route
      if (path.startsWith('/v1/admin/')) auth.admin(request)
      else if (path.startsWith('/v1/')) {
        appLevelRoutes ??= new Set(app.routes.filter((r) => isAppLevel(r.hooks)).map((r) => `${r.method} ${r.path}`))
        const caller = appLevelRoutes.has(`${request.method === 'HEAD' ? 'GET' : request.method} ${route}`)
          ? (state.caller = await auth.appLevel(request))
          : (state.actor = await auth.tenant(request))
        await applyRateLimit(deps.services.limiter, caller, state.headers)
      } else if (route === '/ws') {
        // WS credentials are checked here too, so a refusal is a plain 401/403 before any upgrade.
        // An upgrade costs a token of the tenant's bucket like a REST call (429 before the upgrade):
        // each connect starts a sync, so unmetered reconnects could stall the server for everyone.
        state.actor = await auth.socket(request)
        await applyRateLimit(deps.services.limiter, state.actor, state.headers)
      }
      if (path.startsWith('/v1/')) {
        checkBodyHeaders(request, config.MAX_BODY_BYTES)
        refuseNulInUrl(request.url, path, route)
      }
      Object.assign(set.headers, state.headers)
    })
    .onParse(async ({ request }) => (await parseJsonBody(request, config.MAX_BODY_BYTES)) ?? {})
    .onError(({ code, error, request }) => {
      const state = states.get(request)
      const e = toAppError(code, error, log, state)
      if (state) state.status = e.status
      return errorResponse(e, state?.headers)
    })
    .onAfterResponse(({ request, set }) => {
      const state = states.get(request)
      if (!state) return
      const status = state.status ?? (typeof set.status === 'number' ? set.status : 200)
      deps.onRequestDone?.(request.method, state.route || 'unmatched', status, (performance.now() - state.startedAt) / 1000)
      if (status >= 500 || config.LOG_LEVEL === 'debug')
        log.info('request', {
          request_id: state.requestId,
          method: request.method,
          route: state.route,
          status,
          ms: Math.round((performance.now() - state.startedAt) * 100) / 100,
        })
    })
    .use(healthRoutes(deps.health))
    .use(openapiPlugin(config.version))
    .use(asyncapiRoutes(config))
    .use(roomsRoutes(deps))
    .use(membersRoutes(deps))
    .use(messagesRoutes(deps))
    .use(acksRoutes(deps))
    .use(adminTenantsRoutes(deps))

  for (const ext of deps.extensions ?? []) ext(app as unknown as Elysia)
  return app
}
