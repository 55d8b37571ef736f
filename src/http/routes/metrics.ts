// GET /metrics: Prometheus text format (no credentials, SPEC §10).

import { Elysia, t } from 'elysia'
import { internalError } from '../../schemas/common'
import { openSecurity } from '../deps'

const MetricsText = t.String({
  description: 'Prometheus text exposition format 0.0.4.',
  examples: ['# HELP chatapi_ws_connections Live WebSocket connections\n# TYPE chatapi_ws_connections gauge\nchatapi_ws_connections 12\n'],
})

export const metricsRoutes = (render: () => Promise<string>) =>
  new Elysia().get('/metrics', async () => new Response(await render(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }), {
    response: { 200: MetricsText, ...internalError },
    detail: {
      operationId: 'metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics (no credentials)',
      description: 'Requests and latency by route template and status, WebSocket connections, messages stored, fan-out, queue depths, dead letters, retries and database write latency. Labels never carry tenant, user or room ids. No credentials.',
      security: openSecurity,
    },
  })
