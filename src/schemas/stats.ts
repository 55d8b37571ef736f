// Wire shapes of GET /v1/admin/stats (SPEC §16): the admin console's chart data.

import { Type as t, type Static } from '@sinclair/typebox'
import { ServiceChecked, Timestamp } from './common'
import { EX } from './examples'

export const STATS_WINDOWS = ['15m', '1h', '24h'] as const
const WINDOW_TEXT = 'How far back: 15m (10 s points), 1h (60 s points) or 24h (600 s points).'
const windowUnion = (o: object) => t.Union([t.Literal('15m'), t.Literal('1h'), t.Literal('24h')], o)
export const StatsWindow = windowUnion({ description: WINDOW_TEXT, examples: ['15m'] })

export const StatsQuery = t.Object({
  tenant_id: t.Optional(t.String({ description: 'One tenant (tnt_…); absent: the totals of this instance.', examples: [EX.tenantId] })),
  // Checked by the route, so a bad value is a 400 naming `window` in SPEC §3 order (see ServiceChecked).
  window: t.Optional(ServiceChecked(t.String({ description: `${WINDOW_TEXT} Default 15m.` }), windowUnion({ description: `${WINDOW_TEXT} Default 15m.`, default: '15m', examples: ['1h'] }))),
})

const Points = (description: string) => t.Array(t.Integer({ minimum: 0 }), { description })

export const StatsSeries = t.Object({
  messages: Points('Messages stored (client_msg_id replays excluded): chatapi_messages_stored_total.'),
  deliveries: Points('Frames handed to subscribed sockets of this instance: chatapi_fanout_deliveries_total.'),
  connections: Points('Live WebSocket connections on this instance, the highest seen during each step.'),
  http_requests: Points('HTTP requests answered: chatapi_http_requests_total.'),
  http_errors: Points('HTTP answers with a 4xx or 5xx status (429 included).'),
  rate_limited: Points('HTTP 429 answers (REST calls and WebSocket upgrades over the tenant rate limit).'),
  webhook_failures: Points('Failed webhook and endpoint attempts: chatapi_delivery_attempts_total{outcome="failed"}.'),
})

const EXAMPLE = {
  step_s: 10,
  start: '2025-01-01T11:45:10.000Z',
  window: '15m',
  tracked: true,
  series: {
    messages: [0, 3, 12],
    deliveries: [0, 6, 24],
    connections: [2, 2, 3],
    http_requests: [1, 5, 14],
    http_errors: [0, 0, 1],
    rate_limited: [0, 0, 0],
    webhook_failures: [0, 0, 0],
  },
}

export const Stats = t.Object(
  {
    step_s: t.Integer({ description: 'Seconds per point: 10, 60 or 600.' }),
    start: Timestamp,
    window: StatsWindow,
    tracked: t.Boolean({
      description: 'False when this instance keeps no points for the tenant (no activity here lately, or dropped for a more active tenant): every point is 0.',
    }),
    series: StatsSeries,
  },
  {
    description:
      'One point per step_s, oldest first; the last point is the step in progress. Point i covers [start + i·step_s, start + (i+1)·step_s). ' +
      'Counters are per step; connections is a gauge. Kept in memory on this instance only (a restart starts afresh; each instance answers for itself). ' +
      'The example is shortened to three points (15m has 90, 1h 60, 24h 144).',
    examples: [EXAMPLE],
  },
)
export type Stats = Static<typeof Stats>
