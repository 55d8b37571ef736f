// uploads: what a file upload costs the server (SPEC §12: streamed, never held whole in memory) and
// how fast files go in and out. Phases: the server's RSS while a 25 MiB file is uploaded (sampled
// every 10 ms from /proc; peak minus the level just before): the first large request after start on
// its own (Bun's allocator grows once for it, as it does for a bare Bun.serve that discards the
// body), then the largest rise over 3 raw and 3 multipart uploads; 1 MiB uploads with 4 clients;
// 25 MiB downloads with 2 clients. Every loop is bounded by count and by --secs.

import type { Ctx, Phase, Scenario } from './types'
import { rssBytes, round } from './util'

const MIB = 1024 * 1024

/** The server's RSS, sampled every 10 ms while `work` runs: before, peak and after. */
async function rssDuring<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; before: number | null; peak: number | null; after: number | null }> {
  const before = rssBytes(pid)
  let peak = before
  const timer = setInterval(() => {
    const now = rssBytes(pid)
    if (now !== null && (peak === null || now > peak)) peak = now
  }, 10)
  try {
    const value = await work()
    return { value, before, peak, after: rssBytes(pid) }
  } finally {
    clearInterval(timer)
  }
}

export const uploads: Scenario = {
  name: 'uploads',
  about: 'server RSS while a 25 MiB file uploads (raw, multipart); 1 MiB uploads and 25 MiB downloads per second',
  async run(ctx) {
    const headers = { 'X-API-Key': ctx.t.apiKey, 'X-User-Id': `${ctx.tag}u` }
    const big = new Uint8Array(25 * MIB).map((_, i) => 32 + (i % 95))
    const small = big.subarray(0, MIB)
    const raw = async (body: Uint8Array) => {
      const r = await fetch(`${ctx.t.baseUrl}/v1/uploads?filename=f.txt`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body })
      const j = (await r.json()) as { upload_id?: string }
      if (r.status !== 201) throw new Error(`upload → ${r.status} ${JSON.stringify(j)}`)
      return j.upload_id!
    }
    const form = async (body: Uint8Array) => {
      const f = new FormData()
      f.append('file', new Blob([body], { type: 'text/plain' }), 'f.txt')
      const r = await fetch(`${ctx.t.baseUrl}/v1/uploads`, { method: 'POST', headers, body: f })
      if (r.status !== 201) throw new Error(`upload → ${r.status} ${await r.text()}`)
      return ((await r.json()) as { upload_id: string }).upload_id
    }
    for (let i = 0; i < 3; i++) await raw(small) // warm the route before measuring
    const phases: Phase[] = []
    let bigId = ''
    const mb = (x: number | null) => (x === null ? null : round(x / MIB, 1))
    for (const [name, send, times] of [['rss-25mib-first', raw, 1], ['rss-25mib-raw', raw, 3], ['rss-25mib-multipart', form, 3]] as const) {
      const rises: number[] = []
      let seconds = 0
      for (let i = 0; i < times; i++) {
        const t0 = performance.now()
        const m = await rssDuring(ctx.t.pid, () => send(big))
        seconds += (performance.now() - t0) / 1000
        bigId ||= m.value
        if (m.before !== null && m.peak !== null) rises.push(m.peak - m.before)
      }
      phases.push({
        phase: name,
        file_mib: 25,
        uploads: times,
        rss_peak_rise_mib: rises.length ? mb(Math.max(...rises)) : null,
        rss_peak_rises_mib: rises.map(mb),
        mib_per_s: round((25 * times) / seconds, 1),
        errors: {},
      })
    }

    const timed = async (name: string, clients: number, maxOps: number, op: () => Promise<number>) => {
      let ops = 0
      let bytes = 0
      const errors: Record<string, number> = {}
      const deadline = performance.now() + ctx.secs * 1000
      const t0 = performance.now()
      const m = await rssDuring(ctx.t.pid, () =>
        Promise.all(
          Array.from({ length: clients }, async () => {
            while (ops < maxOps && performance.now() < deadline) {
              ops++
              try {
                bytes += await op()
              } catch (e) {
                const k = (e as Error).message.slice(0, 40)
                errors[k] = (errors[k] ?? 0) + 1
              }
            }
          }),
        ),
      )
      const s = (performance.now() - t0) / 1000
      phases.push({ phase: name, clients, ops, seconds: round(s, 2), ok_per_s: round(ops / s, 1), mib_per_s: round(bytes / MIB / s, 1), rss_peak_mib: m.peak === null ? null : round(m.peak / MIB, 1), errors })
    }
    await timed('upload-1mib', 4, 2000, async () => (await raw(small), MIB))
    await timed('download-25mib', 2, 400, async () => {
      const r = await fetch(`${ctx.t.baseUrl}/v1/uploads/${bigId}`, { headers })
      if (r.status !== 200) throw new Error(`download → ${r.status}`)
      let n = 0
      for await (const chunk of r.body!) n += chunk.byteLength
      return n
    })
    const up = phases.find((p) => p.phase === 'upload-1mib')
    const raw25 = phases.find((p) => p.phase === 'rss-25mib-raw')
    return {
      phases,
      headline: {
        throughput: up?.mib_per_s ?? null,
        unit: 'MiB/s uploaded',
        extra: {
          rss_peak_rise_25mib_mib: raw25?.rss_peak_rise_mib,
          rss_peak_rise_25mib_multipart_mib: phases.find((p) => p.phase === 'rss-25mib-multipart')?.rss_peak_rise_mib,
          rss_peak_rise_first_25mib_mib: phases.find((p) => p.phase === 'rss-25mib-first')?.rss_peak_rise_mib,
          download_mib_per_s: phases.find((p) => p.phase === 'download-25mib')?.mib_per_s,
        },
      },
    }
  },
}
