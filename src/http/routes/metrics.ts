// GET /metrics: Prometheus text format (no credentials, SPEC §10).

import { Elysia } from 'elysia'

export const metricsRoutes = (render: () => Promise<string>) =>
  new Elysia().get('/metrics', async () => new Response(await render(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }), {
    detail: { tags: ['operations'], summary: 'Prometheus metrics (no credentials)' },
  })
