// Lifecycle scenarios (SPEC §15), each on a server it starts over a prefilled database (prefill.ts):
// - purge: REST sends at --purge-rate msg/s (1,000) into spare rooms, first quiet, then while
//   retention removes --lifecycle-msgs (1,000,000) old messages of a big room; p99 of both, same run.
// - export: GET /v1/rooms/{room}/export of the big room, read to the end; the server's RSS is sampled
//   every 50 ms and the peak rise over the idle server is the figure (not a pass/fail).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RestSpec } from './load-rest'
import { prefill, type Prefilled } from './prefill'
import type { Ctx, Phase, Scenario } from './types'
import { spawnTarget, type Target } from './target'
import { round, rssBytes, rssParts, sleep } from './util'

const num = (ctx: Ctx, k: string, def: number) => (ctx.flags[k] !== undefined ? Number(ctx.flags[k]) : def)

async function withPrefilled<T>(ctx: Ctx, spare: number, fn: (t: Target, p: Prefilled) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-bench-lifecycle-'))
  let t: Target | null = null
  try {
    // With its search index built, as a server that has run for a while has it.
    const p = prefill(join(dir, 'big.db'), { messages: num(ctx, 'lifecycle-msgs', 1_000_000), spareRooms: spare, searchIndex: true })
    console.error(`prefilled ${num(ctx, 'lifecycle-msgs', 1_000_000)} messages in ${p.buildMs} ms, search index in ${p.indexMs} ms`)
    t = await spawnTarget({ DATABASE_URL: join(dir, 'big.db') }, null)
    t.apiKey = p.apiKey
    return await fn(t, p)
  } finally {
    await t?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function get(t: Target, path: string, headers: Record<string, string>) {
  const res = await fetch(t.baseUrl + path, { headers, signal: AbortSignal.timeout(30_000) })
  return res.json() as Promise<any>
}

export const purge: Scenario = {
  name: 'purge',
  about: 'REST sends at 1,000 msg/s: quiet, while retention removes 1,000,000 old messages, quiet again (same server); p99 of each',
  ownsServers: true,
  async run(ctx) {
    return withPrefilled(ctx, 8, async (t, p) => {
      const rate = num(ctx, 'purge-rate', 1000)
      const n = num(ctx, 'lifecycle-msgs', 1_000_000)
      const user = { 'X-API-Key': p.apiKey, 'X-User-Id': p.members[0] }
      const firstSeq = async () => (await get(t, `/v1/rooms/${p.roomId}`, user)).first_seq as number
      const load = async (name: string) => {
        const spec: RestSpec = {
          baseUrl: t.baseUrl,
          apiKey: p.apiKey,
          serverPid: t.pid,
          phases: [{ name, kind: 'send', targets: p.spareRooms.map((room_id) => ({ room_id, user: p.members[0] })), rate }],
          warmup_s: ctx.warmup,
          secs: ctx.secs,
          hardcap_s: 60 + ctx.warmup + ctx.secs,
        }
        const lines = await ctx.load('rest', spec as unknown as Record<string, unknown>, spec.hardcap_s)
        return lines.find((l) => l.phase) as Phase
      }
      const quiet = await load(`quiet-at-${rate}`)
      const t0 = performance.now()
      const patched = await fetch(`${t.baseUrl}/v1/admin/tenants/${p.tenantId}`, {
        method: 'PATCH',
        headers: { 'X-Master-Key': t.masterKey!, 'content-type': 'application/json' },
        body: JSON.stringify({ config: { retention_days: 1 } }),
      })
      if (!patched.ok) throw new Error(`PATCH retention_days: ${patched.status}`)
      while ((await firstSeq()) === 1 && performance.now() - t0 < 30_000) await sleep(20)
      const startedMs = performance.now() - t0
      const busy = await load(`deleting-at-${rate}`)
      const atEnd = await firstSeq()
      const stillDeleting = atEnd <= n
      while ((await firstSeq()) <= n && performance.now() - t0 < 600_000) await sleep(100)
      const doneS = (performance.now() - t0) / 1000
      // A second quiet phase once the deletes are done: on a shared machine one quiet window can be
      // unlucky either way; the baseline is the mean of the two.
      const after = await load(`quiet-after-at-${rate}`)
      const p99 = (ph: Phase) => ph?.latency?.p99_ms ?? null
      const baseline = p99(quiet) !== null && p99(after) !== null ? round((p99(quiet)! + p99(after)!) / 2, 3) : null
      const ratio = baseline && p99(busy) ? round(p99(busy) / baseline, 2) : null
      busy.deletes_started_after_ms = Math.round(startedMs)
      busy.deleting_throughout = stillDeleting
      busy.first_seq_at_end = atEnd
      return {
        phases: [quiet, busy, after],
        headline: {
          throughput: Math.round(n / doneS),
          unit: 'rows deleted/s',
          latencyPhase: busy.phase,
          extra: { p99_quiet_ms: p99(quiet), p99_quiet_after_ms: p99(after), p99_baseline_ms: baseline, p99_deleting_ms: p99(busy), p99_ratio: ratio, deleted: n, delete_s: round(doneS, 1), deleting_throughout: stillDeleting, prefill_ms: p.buildMs, search_index_ms: p.indexMs },
        },
      }
    })
  },
}

export const exportScenario: Scenario = {
  name: 'export',
  about: 'GET /v1/rooms/{id}/export of a 1,000,000-message room; server RSS rise (peak over idle), lines and MB/s',
  ownsServers: true,
  async run(ctx) {
    return withPrefilled(ctx, 0, async (t, p) => {
      await sleep(2000) // let the server settle after start-up (migrations, workers)
      // One short export first (2 MB, then the client hangs up: the server must stop reading), so
      // the figure is what the whole room adds, not the first use of the code path; both printed.
      const cold = rssBytes(t.pid) ?? 0
      const warm = await fetch(`${t.baseUrl}/v1/rooms/${p.roomId}/export`, { headers: { 'X-API-Key': p.apiKey } })
      const reader = warm.body!.getReader()
      for (let got = 0; got < 2_000_000; ) got += (await reader.read()).value?.byteLength ?? 2_000_000
      await reader.cancel()
      await sleep(1000)
      const before = rssBytes(t.pid) ?? 0
      const partsBefore = rssParts(t.pid) ?? { anon: 0, file: 0 }
      let peak = before
      let peakAnon = partsBefore.anon
      let peakFile = partsBefore.file
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssBytes(t.pid) ?? 0)
        const parts = rssParts(t.pid)
        if (parts) {
          peakAnon = Math.max(peakAnon, parts.anon)
          peakFile = Math.max(peakFile, parts.file)
        }
      }, 50)
      const t0 = performance.now()
      let lines = 0
      let bytes = 0
      let firstLine = ''
      try {
        const res = await fetch(`${t.baseUrl}/v1/rooms/${p.roomId}/export`, { headers: { 'X-API-Key': p.apiKey } })
        if (!res.ok || !res.body) throw new Error(`export: ${res.status}`)
        const dec = new TextDecoder()
        for await (const chunk of res.body) {
          bytes += chunk.byteLength
          if (!firstLine) firstLine = dec.decode(chunk.subarray(0, 200))
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++
        }
      } finally {
        clearInterval(sampler)
      }
      const s = (performance.now() - t0) / 1000
      const rise = peak - before
      const n = num(ctx, 'lifecycle-msgs', 1_000_000)
      const phase: Phase = {
        phase: 'export',
        lines,
        expected_lines: n + 3,
        bytes,
        secs: round(s, 2),
        mb_per_s: round(bytes / 1e6 / s, 1),
        rss_idle_bytes: cold,
        rss_first_export_cost_mb: round((before - cold) / 1e6, 1),
        rss_before_bytes: before,
        rss_peak_bytes: peak,
        rss_rise_mb: round(rise / 1e6, 1),
        rss_anon_rise_mb: round((peakAnon - partsBefore.anon) / 1e6, 1),
        rss_file_rise_mb: round((peakFile - partsBefore.file) / 1e6, 1),
        first_line: firstLine.split('\n')[0].slice(0, 60),
        errors: lines === n + 3 ? {} : { missing_lines: n + 3 - lines },
      }
      console.error(`export: ${lines} lines, ${round(bytes / 1e6, 1)} MB in ${round(s, 1)} s; server RSS idle ${round(cold / 1e6, 1)} MB, after a 2 MB warm-up export ${round(before / 1e6, 1)} MB → peak ${round(peak / 1e6, 1)} MB (rise ${round(rise / 1e6, 1)} MB: anonymous +${phase.rss_anon_rise_mb} MB, file-backed +${phase.rss_file_rise_mb} MB)`)
      return { phases: [phase], headline: { throughput: Math.round(lines / s), unit: 'lines/s', extra: { rss_rise_mb: phase.rss_rise_mb, rss_first_export_cost_mb: phase.rss_first_export_cost_mb, lines, prefill_ms: p.buildMs } } }
    })
  },
}
