// createApp: assembles Elysia (request gate, body parser, error mapping, every route, docs). Never listens.

import { Elysia } from 'elysia'
import type { Config } from './config'
import type { Logger } from './log'
import { AppError } from './errors'
import type { RequestState, RequestStates } from './request-state'
import { isAppLevel, isSignedUrl, isStreamedBody, type RouteDeps } from './http/deps'
import { createRequestIds } from './http/plugins/request-id'
import { createRouteMatcher, type RouteMatcher } from './http/plugins/route-match'
import { createCors } from './http/plugins/cors'
import { createAuth } from './http/plugins/auth'
import { applyRateLimit } from './http/plugins/rate-limit'
import { checkBodyHeaders, parseJsonBody } from './http/plugins/body'
import { refuseNulInUrl } from './http/plugins/nul'
import { errorResponse, restError } from './http/plugins/errors'
import { openapiPlugin } from './http/plugins/openapi'
import { roomsRoutes } from './http/routes/rooms'
import { membersRoutes } from './http/routes/members'
import { messagesRoutes } from './http/routes/messages'
import { acksRoutes } from './http/routes/acks'
import { changesRoutes } from './http/routes/changes'
import { reactionsRoutes } from './http/routes/reactions'
import { pinsRoutes } from './http/routes/pins'
import { mentionsRoutes } from './http/routes/mentions'
import { adminTenantsRoutes } from './http/routes/admin-tenants'
import { healthRoutes } from './http/routes/health'
import { asyncapiRoutes } from './http/routes/asyncapi'
import { uploadsRoutes } from './http/routes/uploads'
import { presenceRoutes } from './http/routes/presence'
import { notificationsRoutes } from './http/routes/notifications'
import { adminDeadLettersRoutes } from './http/routes/admin-dead-letters'
import { tokensRoutes } from './http/routes/tokens'
import { metricsRoutes } from './http/routes/metrics'
import { adminBackupRoutes } from './http/routes/admin-backup'
import { demoRoutes } from './http/routes/demo'
import { roomModerationRoutes } from './http/routes/room-moderation'
import { moderationRoutes } from './http/routes/moderation'
import { safetyRoutes } from './http/routes/safety'
import { adminAuditRoutes } from './http/routes/admin-audit'
import { searchRoutes } from './http/routes/search'
import { adminStatsRoutes } from './http/routes/admin-stats'
import { adminConsoleRoutes } from './http/routes/admin-console'
import type { TenantSeries } from './metrics-series'
import type { HealthSource } from './health'
import type { Gateway } from './ws/gateway'

export interface AppDeps extends RouteDeps {
  log: Logger
  health: HealthSource
  /** The WebSocket gateway: GET /ws is its upgrade route. */
  gateway: Pick<Gateway, 'routes'>
  /** The Prometheus text of GET /metrics. */
  renderMetrics: () => Promise<string>
  /** The per-tenant time series behind GET /v1/admin/stats and the console's charts. */
  stats: TenantSeries
  /**
   * Called once per finished request (metrics); `route` is the template, never a raw path.
   * `tenantId` is the authenticated tenant's, null for admin, anonymous and refused calls.
   */
  onRequestDone?: (method: string, route: string, status: number, seconds: number, tenantId: string | null) => void
}

const pathOf = (url: string) => {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  const q = url.indexOf('?', start)
  return q === -1 ? url.slice(start) : url.slice(start, q)
}

export function createApp(deps: AppDeps) {
  const { config, log, states } = deps
  const cors = createCors(config.CORS_ORIGINS)
  const auth = createAuth({
    tenants: deps.services.tenant,
    masterKey: config.MASTER_API_KEY,
    verifyToken: deps.services.tokens.verify,
    isBanned: deps.services.moderation.isBanned,
  })
  let matcher: RouteMatcher | null = null
  /** `METHOD template` of the routes marked appLevel (http/deps.ts): their X-User-Id is optional. */
  let appLevelRoutes: Set<string> | null = null
  /** `METHOD template` of the routes that read their own body (uploads) and of signed-URL routes (no credentials). */
  let streamedRoutes: Set<string> | null = null
  let signedRoutes: Set<string> | null = null
  const routesWhere = (marked: (hooks: unknown) => boolean) => new Set(app.routes.filter((r) => marked(r.hooks)).map((r) => `${r.method} ${r.path}`))
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
      const key = `${request.method === 'HEAD' ? 'GET' : request.method} ${route}`
      signedRoutes ??= routesWhere(isSignedUrl)
      streamedRoutes ??= routesWhere(isStreamedBody)
      state.streamed = streamedRoutes.has(key)
      if (signedRoutes.has(key)) {
        // The URL's signature is the credential: the route checks it (then charges the file's tenant).
      } else if (path.startsWith('/v1/admin/')) auth.admin(request)
      else if (path.startsWith('/v1/')) {
        appLevelRoutes ??= new Set(app.routes.filter((r) => isAppLevel(r.hooks)).map((r) => `${r.method} ${r.path}`))
        const caller = appLevelRoutes.has(key)
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
        // An upload body is the one exception to JSON (SPEC §12): its route checks its own limits.
        if (!state.streamed) checkBodyHeaders(request, config.MAX_BODY_BYTES)
        refuseNulInUrl(request.url, path, route)
      }
      Object.assign(set.headers, state.headers)
    })
    .onParse(async ({ request }) => (states.get(request)?.streamed ? {} : ((await parseJsonBody(request, config.MAX_BODY_BYTES)) ?? {})))
    .onError(({ code, error, request }) => {
      const state = states.get(request)
      const e = restError(code, error, log, state)
      if (state) state.status = e.status
      return errorResponse(e, state?.headers)
    })
    .onAfterResponse(({ request, set }) => {
      const state = states.get(request)
      if (!state) return
      const status = state.status ?? (typeof set.status === 'number' ? set.status : 200)
      const tenantId = (state.actor ?? state.caller)?.tenant.tenant_id ?? null
      deps.onRequestDone?.(request.method, state.route || 'unmatched', status, (performance.now() - state.startedAt) / 1000, tenantId)
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
    .use(changesRoutes(deps))
    .use(reactionsRoutes(deps))
    .use(pinsRoutes(deps))
    .use(mentionsRoutes(deps))
    .use(acksRoutes(deps))
    .use(searchRoutes(deps))
    .use(adminTenantsRoutes(deps))
    .use(uploadsRoutes(deps))
    .use(presenceRoutes(deps))
    .use(notificationsRoutes(deps))
    .use(adminDeadLettersRoutes(deps.services.delivery))
    .use(tokensRoutes(deps))
    .use(metricsRoutes(deps.renderMetrics))
    .use(adminBackupRoutes(deps.services.backups))
    .use(roomModerationRoutes(deps))
    .use(moderationRoutes(deps))
    .use(safetyRoutes(deps))
    .use(adminAuditRoutes(deps.services.audit))
    .use(adminStatsRoutes({ series: deps.stats, tenants: deps.services.tenant }))
    .use(demoRoutes(config.DEMO_ENABLED))
    .use(adminConsoleRoutes(Boolean(config.MASTER_API_KEY)))
    .use(deps.gateway.routes())
  return app
}
