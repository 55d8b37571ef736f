// GET /v1/admin/stats: the per-tenant (or whole-instance) time series behind the admin console's
// charts (SPEC §16), read from the in-memory rings of src/metrics-series.ts.

import { Elysia } from 'elysia'
import { invalid } from '../../errors'
import { adminErrorsWith } from '../../schemas/common'
import { Stats, STATS_WINDOWS, StatsQuery } from '../../schemas/stats'
import type { StatsWindow, TenantSeries } from '../../metrics-series'
import type { TenantService } from '../../services/tenant'
import { adminSecurity } from '../deps'

const isWindow = (w: string): w is StatsWindow => (STATS_WINDOWS as readonly string[]).includes(w)

export const adminStatsRoutes = (deps: { series: TenantSeries; tenants: Pick<TenantService, 'getWithoutUsage'> }) =>
  new Elysia().get(
    '/v1/admin/stats',
    async ({ query }) => {
      const window = query.window ?? '15m'
      if (!isWindow(window)) throw invalid('window', 'window must be 15m, 1h or 24h')
      const tenantId = query.tenant_id ?? null
      // An unknown tenant is a 404, not a flat line of zeros (a typo would otherwise look like a quiet tenant).
      if (tenantId !== null) await deps.tenants.getWithoutUsage(tenantId)
      return { ...deps.series.read(tenantId, window), window }
    },
    {
      query: StatsQuery,
      response: { 200: Stats, ...adminErrorsWith(404) },
      detail: {
        operationId: 'getAdminStats',
        tags: ['admin'],
        summary: 'Time series for the admin console (one tenant, or this instance)',
        description:
          'Messages, deliveries, connections, HTTP requests, HTTP errors, rate-limited calls and failed webhook attempts of the last ' +
          '15 minutes (10 s points), hour (60 s) or 24 hours (600 s), for one tenant or (without tenant_id) for the whole instance. ' +
          'Fed by the same increments as /metrics, whose labels never carry a tenant. In memory on each instance: behind a load balancer, ' +
          "each answer is one instance's view. An unknown tenant_id is a 404; an unknown window a 400.",
        security: adminSecurity,
      },
    },
  )
