// Shared bench helpers: latency samples, /proc accounting (server RSS and CPU, machine load).

import { readdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'

/** Latency samples in ms, capped in count (the load loops are bounded; so is this buffer). */
export class Samples {
  private buf: Float64Array
  n = 0
  dropped = 0
  constructor(cap = 4_000_000) {
    this.buf = new Float64Array(cap)
  }
  add(ms: number) {
    if (this.n < this.buf.length) this.buf[this.n++] = ms
    else this.dropped++
  }
  summary(): LatencySummary {
    if (!this.n) return { samples: 0, p50_ms: null, p90_ms: null, p99_ms: null, max_ms: null, mean_ms: null }
    const s = this.buf.subarray(0, this.n).sort()
    const q = (p: number) => round(s[Math.min(this.n - 1, Math.floor(p * this.n))])
    let sum = 0
    for (let i = 0; i < this.n; i++) sum += s[i]
    return { samples: this.n, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: round(s[this.n - 1]), mean_ms: round(sum / this.n) }
  }
}
export interface LatencySummary {
  samples: number
  p50_ms: number | null
  p90_ms: number | null
  p99_ms: number | null
  max_ms: number | null
  mean_ms: number | null
}

export const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d

/** VmRSS of a process in bytes, or null when it is not ours to read (a remote URL). */
export function rssBytes(pid: number): number | null {
  if (!pid) return null
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

/** The anonymous (heap, stacks) and file-backed (mapped files, such as SQLite's mmap) parts of RSS, in bytes. */
export function rssParts(pid: number): { anon: number; file: number } | null {
  if (!pid) return null
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? NaN) * 1024
    return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') }
  } catch {
    return null
  }
}

/** utime+stime of a process in seconds (NaN when unreadable); `sysOnly` gives stime alone. */
export function procCpuS(pid: number, sysOnly = false): number {
  if (!pid) return NaN
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const p = f.slice(f.lastIndexOf(')') + 2).split(' ')
    return ((sysOnly ? 0 : Number(p[11])) + Number(p[12])) / 100
  } catch {
    return NaN
  }
}

/** utime+stime in seconds per thread name of a process (threads of one name are summed). */
export function threadCpuS(pid: number): Record<string, number> {
  const out: Record<string, number> = {}
  if (!pid) return out
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
        const name = f.slice(f.indexOf('(') + 1, f.lastIndexOf(')'))
        const p = f.slice(f.lastIndexOf(')') + 2).split(' ')
        out[name] = (out[name] ?? 0) + (Number(p[11]) + Number(p[12])) / 100
      } catch {}
    }
  } catch {}
  return out
}

/** [busy, total] jiffies over all CPUs. */
export function machineCpu(): [number, number] {
  const l = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const tot = l.reduce((a, b) => a + b, 0)
  return [tot - l[3] - l[4], tot]
}

export const CORES = cpus().length

export function loadavg(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number)
}

/**
 * CPU use over a window: server cores, this process's cores, and everyone else's (the shared box's
 * noise). Start it with `cpuWindow(pid)` and call the returned function at the end.
 */
export function cpuWindow(serverPid: number) {
  const t0 = performance.now()
  const s0 = procCpuS(serverPid)
  const sys0 = procCpuS(serverPid, true)
  const m0 = machineCpu()
  const me0 = process.cpuUsage()
  const th0 = threadCpuS(serverPid)
  return () => {
    const el = (performance.now() - t0) / 1000
    const m1 = machineCpu()
    const me = process.cpuUsage(me0)
    const busy = ((m1[0] - m0[0]) / Math.max(1, m1[1] - m0[1])) * CORES
    const server = (procCpuS(serverPid) - s0) / el
    const sys = (procCpuS(serverPid, true) - sys0) / el
    const client = (me.user + me.system) / 1e6 / el
    const th1 = threadCpuS(serverPid)
    const threads: Record<string, number> = {}
    for (const [k, v] of Object.entries(th1)) if (v - (th0[k] ?? 0) >= 0.01 * el) threads[k] = round((v - (th0[k] ?? 0)) / el, 2)
    return {
      server_cpu_cores: Number.isNaN(server) ? null : round(server, 2),
      server_sys_cores: Number.isNaN(sys) ? null : round(sys, 2),
      client_cpu_cores: round(client, 2),
      other_cpu_cores: Number.isNaN(server) ? null : round(Math.max(0, busy - server - client), 2),
      machine_busy_cores: round(busy, 2),
      server_threads_cores: threads,
    }
  }
}

export const sleep = (ms: number) => Bun.sleep(ms)

/** The (soft) open-files limit this process (and so the server it spawns) runs under. */
export function nofileLimit(): number {
  try {
    const m = /Max open files\s+(\d+)\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))
    return m ? Number(m[1]) : 1024
  } catch {
    return 1024
  }
}

/**
 * The "quiet gate": waits (at most maxWaitS) until the shared box, with our load idle, shows fewer
 * than maxBusy cores busy over a 1 s sample. Reports the last sample and whether the gate passed.
 */
export async function quiet(maxBusy: number, maxWaitS: number): Promise<{ pre_busy_cores: number; gated: boolean; waited_s: number }> {
  const t0 = performance.now()
  let last = CORES
  do {
    const a = machineCpu()
    await Bun.sleep(1000)
    const b = machineCpu()
    last = ((b[0] - a[0]) / Math.max(1, b[1] - a[1])) * CORES
    if (last < maxBusy) break
  } while ((performance.now() - t0) / 1000 < maxWaitS)
  return { pre_busy_cores: round(last, 2), gated: last < maxBusy, waited_s: round((performance.now() - t0) / 1000, 1) }
}

/** Calls `onLine` for every complete line of a child's stdout until it closes (the pipe is always drained). */
export async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const dec = new TextDecoder()
  let buf = ''
  for await (const chunk of stream) {
    buf += dec.decode(chunk)
    let i: number
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i))
      buf = buf.slice(i + 1)
    }
  }
}
