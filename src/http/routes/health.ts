// GET /health: liveness, database writability, workers and connections (SPEC §4 Operations).

import { Elysia, t } from 'elysia'
import type { HealthSource } from '../../health'

const HealthBody = t.Object({
  status: t.String({ description: 'ok, degraded or draining' }),
  version: t.String(),
  epoch: t.String(),
  uptime_s: t.Number(),
  db: t.Object({ writable: t.Boolean(), wal_bytes: t.Number() }),
  workers: t.Record(t.String(), t.Unknown()),
  connections: t.Integer(),
})

export const healthRoutes = (health: HealthSource) =>
  new Elysia().get(
    '/health',
    async ({ set }) => {
      const s = await health.snapshot()
      set.status = s.ok ? 200 : 503
      return s.body as typeof HealthBody.static
    },
    { response: { 200: HealthBody, 503: HealthBody }, detail: { tags: ['operations'], summary: 'Health (no credentials)' } },
  )
