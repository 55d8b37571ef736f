// GET /metrics: Prometheus text format (no credentials, SPEC §10).

import { Elysia } from 'elysia'

export const metricsRoutes = (render: () => string) =>
  new Elysia().get('/metrics', () => new Response(render(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }), {
    detail: { tags: ['operations'], summary: 'Prometheus metrics (no credentials)' },
  })
