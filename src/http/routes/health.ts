// GET /health: liveness, database writability, workers and connections (SPEC §4 Operations).

import { Type } from '@sinclair/typebox'
import { Elysia, t } from 'elysia'
import { internalError } from '../../schemas/common'
import type { HealthSource } from '../../health'
import { openSecurity } from '../deps'

const healthExample = (status: string, writable: boolean) => ({
  status,
  version: '0.1.0',
  epoch: '7Kd2Lq9Wm4Xz1Rp6',
  uptime_s: 3605,
  db: { writable, wal_bytes: 1_048_576 },
  workers: { delivery: { state: 'running', restarts: 0, last_error: null }, checkpoint: { state: 'running', restarts: 0, last_error: null } },
  connections: 12,
})

const HealthBody = t.Object(
  {
    status: t.String({ description: 'ok, degraded or draining' }),
    version: t.String(),
    epoch: t.String({ description: 'changes when the database was replaced (a restored backup): clients then resync from scratch' }),
    uptime_s: t.Number(),
    db: t.Object({ writable: t.Boolean(), wal_bytes: t.Number() }),
    workers: t.Record(t.String(), t.Unknown()),
    connections: Type.Integer(),
  },
  { examples: [healthExample('ok', true)] },
)

export const healthRoutes = (health: HealthSource) =>
  new Elysia().get(
    '/health',
    async ({ set }) => {
      const s = await health.snapshot()
      set.status = s.ok ? 200 : 503
      return s.body as typeof HealthBody.static
    },
    {
      response: {
        200: { ...HealthBody, description: 'Healthy.' },
        503: { ...HealthBody, description: 'Degraded (the database cannot be written, or a started worker is not running) or draining for shutdown.', examples: [healthExample('degraded', false)] },
        ...internalError,
      },
      detail: {
        operationId: 'health',
        tags: ['operations'],
        summary: 'Health (no credentials)',
        description: 'For load balancers and orchestrators: 200 while the service can take writes, 503 when it is degraded or draining. No credentials.',
        security: openSecurity,
      },
    },
  )
