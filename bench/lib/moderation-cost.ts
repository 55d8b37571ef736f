// moderation-cost (issue 18): what the SPEC §14 content checks cost a send, in one run against one
// spawned server. One tenant sends over REST into 16 rooms at a fixed rate (--mod-rate, 300 msg/s,
// open loop: latency at a load the server carries) and closed loop (c=16: throughput), four times:
//   none            no blocklist, no hook (the baseline)
//   blocklist-1000  a 1,000-term blocklist (reject; the content never matches, so every term is scanned)
//   hook-1ms        a pre-send hook on 127.0.0.1 that answers allow after 1 ms
//   neighbour-900ms no checks of its own, while ANOTHER tenant sends through a hook that takes 900 ms
// The hook receiver runs in this process (the server gets ALLOW_HTTP_WEBHOOKS for it); every sleep
// in it is bounded, and every phase is --warmup + --secs long.

import type { RestPhase, RestSpec } from './load-rest'
import { createRoom, pool, type Target } from './target'
import type { Ctx, Phase, Scenario } from './types'

const num = (ctx: Ctx, k: string, def: number) => (ctx.flags[k] !== undefined ? Number(ctx.flags[k]) : def)

async function call(t: Target, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`)
  return text ? JSON.parse(text) : null
}

/** 1,000 distinct words that never occur in the bench's content ('x' repeated). */
const TERMS = Array.from({ length: 1000 }, (_, i) => `blocked${i.toString(36)}word`)

export const moderationCost: Scenario = {
  name: 'moderation-cost',
  about: 'REST sends with a 1,000-term blocklist, with a 1 ms pre-send hook, and beside a tenant whose hook takes 900 ms, each vs none',
  env: { ALLOW_HTTP_WEBHOOKS: '1' },
  needsSpawn: true,
  separate: true, // run by name: eight phases, a figure of cost rather than of throughput
  async run(ctx) {
    const t = ctx.t
    if (!t.masterKey) throw new Error('moderation-cost configures its tenants: it needs the master key')
    const admin = { 'X-Master-Key': t.masterKey }
    const rate = num(ctx, 'mod-rate', 300)
    const hook = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: async (req) => {
        await req.arrayBuffer()
        await Bun.sleep(new URL(req.url).pathname === '/slow' ? 900 : 1)
        return Response.json({ action: 'allow' })
      },
    })
    try {
      // Both tenants are made here (the measured one without checks; each check is switched on in turn).
      const created = await call(t, 'POST', '/v1/admin/tenants', admin, { name: `bench-measured-${Date.now()}`, config: { rate_limit_per_sec: 1_000_000 } })
      const measured = { apiKey: created.api_key as string, id: created.tenant_id as string }
      const neighbour = await call(t, 'POST', '/v1/admin/tenants', admin, {
        name: `bench-neighbour-${Date.now()}`,
        config: { rate_limit_per_sec: 1_000_000, presend_url: `http://127.0.0.1:${hook.port}/slow`, presend_timeout_ms: 5000 },
      })
      const rooms = async (apiKey: string, prefix: string) =>
        pool(8, Array.from({ length: 16 }, (_, i) => () => createRoom({ ...t, apiKey }, `${prefix}u${i}`, 'group', [`${prefix}v${i}`])))
      const targetsOf = (ids: string[], prefix: string) => ids.map((room_id, i) => ({ room_id, user: `${prefix}u${i}` }))
      const mine = targetsOf(await rooms(measured.apiKey, `${ctx.tag}m`), `${ctx.tag}m`)
      const theirs = targetsOf(await rooms(neighbour.api_key, `${ctx.tag}n`), `${ctx.tag}n`)
      const configure = (config: Record<string, unknown>) => call(t, 'PATCH', `/v1/admin/tenants/${measured.id}`, admin, { config })

      const spec = (apiKey: string, phases: RestPhase[]): RestSpec => ({
        baseUrl: t.baseUrl,
        apiKey,
        serverPid: t.pid,
        phases,
        warmup_s: ctx.warmup,
        secs: ctx.secs,
        hardcap_s: 60 + (phases.length + 1) * (ctx.warmup + ctx.secs + 6),
      })
      const measure = async (label: string): Promise<Phase[]> => {
        const phases: RestPhase[] = [
          { name: `${label}@${rate}`, kind: 'send', targets: mine, rate },
          { name: `${label}-c16`, kind: 'send', targets: mine, concurrency: 16 },
        ]
        const lines = await ctx.load('rest', spec(measured.apiKey, phases) as unknown as Record<string, unknown>, spec(measured.apiKey, phases).hardcap_s)
        return lines.filter((l) => l.phase) as Phase[]
      }

      const out: Phase[] = []
      out.push(...(await measure('none')))
      await configure({ blocklist: { terms: TERMS, action: 'reject' } })
      out.push(...(await measure('blocklist-1000')))
      await configure({ blocklist: null, presend_url: `http://127.0.0.1:${hook.port}/fast`, presend_timeout_ms: 1000 })
      out.push(...(await measure('hook-1ms')))
      await configure({ presend_url: null })
      // The measured tenant at its rate while the neighbour keeps 64 sends waiting on its 900 ms hook.
      const mineSpec = spec(measured.apiKey, [{ name: `neighbour-900ms@${rate}`, kind: 'send', targets: mine, rate }])
      const theirSpec = spec(neighbour.api_key, [{ name: 'neighbour-load', kind: 'send', targets: theirs, concurrency: 64 }])
      const lines: Record<string, any>[][] = [[], []]
      await ctx.loadMany('rest', [mineSpec, theirSpec] as unknown as Record<string, unknown>[], mineSpec.hardcap_s, (i, line) => void lines[i].push(line))
      out.push(...(lines[0].filter((l) => l.phase) as Phase[]), ...(lines[1].filter((l) => l.phase) as Phase[]))

      const p = (name: string) => out.find((x) => x.phase === name)
      const p99 = (name: string) => p(name)?.latency?.p99_ms ?? null
      const ratio = (a: number | null, b: number | null) => (a && b ? Math.round((a / b) * 100) / 100 : null)
      return {
        phases: out,
        headline: {
          throughput: p('blocklist-1000-c16')?.ok_per_s ?? null,
          unit: 'msg/s (1,000-term blocklist, c=16)',
          latencyPhase: `neighbour-900ms@${rate}`,
          extra: {
            p99_ms: { none: p99(`none@${rate}`), blocklist_1000: p99(`blocklist-1000@${rate}`), hook_1ms: p99(`hook-1ms@${rate}`), beside_900ms_hook: p99(`neighbour-900ms@${rate}`) },
            throughput_c16: { none: p('none-c16')?.ok_per_s, blocklist_1000: p('blocklist-1000-c16')?.ok_per_s, hook_1ms: p('hook-1ms-c16')?.ok_per_s },
            p99_beside_900ms_hook_over_none: ratio(p99(`neighbour-900ms@${rate}`), p99(`none@${rate}`)),
            neighbour_sends_per_s: p('neighbour-load')?.ok_per_s,
          },
        },
      }
    } finally {
      hook.stop(true)
    }
  },
}
