// GET /health: liveness, database writability, workers, this instance's connections and, with
// several instances, the cluster's (SPEC §4 Operations, §9).

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

const clusterExample = {
  ...healthExample('ok', true),
  workers: { delivery: { state: 'running', restarts: 0, last_error: null } },
  db: { writable: true, wal_bytes: 0 },
  cluster: { redis: 'ok', instances: 3, connections: 31 },
}

const ClusterFigures = t.Object(
  {
    redis: t.Union([t.Literal('ok'), t.Literal('unreachable')], {
      description: 'unreachable: this instance serves its own sockets only; frames from other instances reach them by sync and redelivery once Redis is back',
    }),
    instances: t.Union([Type.Integer(), t.Null()], { description: 'live instances (heartbeat within 15 s), this one included; null while Redis is unreachable' }),
    connections: t.Union([Type.Integer(), t.Null()], { description: 'WebSocket connections on every live instance; null while Redis is unreachable' }),
  },
  { description: 'Present only when instances share Redis (REDIS_URL): figures for the whole cluster.' },
)

const HealthBody = t.Object(
  {
    status: t.String({
      description:
        'ok; degraded (the database cannot be written or a started worker is not running: HTTP 503; or, with REDIS_URL, Redis is unreachable: HTTP 200, since this instance still takes writes); draining (503)',
    }),
    version: t.String(),
    epoch: t.String({ description: 'changes when the database was replaced (a restored backup): clients then resync from scratch' }),
    uptime_s: t.Number(),
    db: t.Object({ writable: t.Boolean(), wal_bytes: t.Number() }),
    workers: t.Record(t.String(), t.Unknown()),
    connections: Type.Integer({ description: 'WebSocket connections on this instance (see `cluster` for all instances)' }),
    cluster: t.Optional(ClusterFigures),
  },
  { examples: [healthExample('ok', true), clusterExample] },
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
        200: { ...HealthBody, description: 'Serving: ok, or degraded only because Redis is unreachable (several instances).' },
        503: { ...HealthBody, description: 'Degraded (the database cannot be written, or a started worker is not running) or draining for shutdown.', examples: [healthExample('degraded', false)] },
        ...internalError,
      },
      detail: {
        operationId: 'health',
        tags: ['operations'],
        summary: 'Health (no credentials)',
        description:
          'For load balancers and orchestrators: 200 while this instance can take writes, 503 when the database cannot be written, a worker is down, or it is draining. `connections` counts this instance; with several instances on Redis, `cluster` counts all of them. No credentials.',
        security: openSecurity,
      },
    },
  )
