// bun run bench [scenario[,scenario…]|all] [flags]: a bounded load generator for ChatAPI.
// It spawns a fresh server per scenario (own temp database) unless --url targets a running one, runs
// the load in separate processes (bench/lib/load-*.ts), and prints a table plus one JSON line per
// scenario: throughput, p50/p90/p99/max latency, errors, server RSS before/after, load average.
// Every load loop is bounded in time and count; every child is killed by its pid at the end.
//
// The same driver is `chatapi bench` in the compiled binary (src/index.ts imports runBench lazily):
// there it spawns the load processes as `<binary> __bench-load ws|rest|noisy <spec.json>` and servers (no
// --url) as `<binary> serve`, since the binary has neither bun nor bench/ beside it.

import { join } from 'node:path'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { Subprocess } from 'bun'
import { SCENARIOS } from './lib/scenarios'
import type { Ctx, LoadKind, Phase, Scenario } from './lib/types'
import { commitStats, killSpawned, remoteTarget, spawnServersAs, spawnTarget, type Target } from './lib/target'
import { CORES, eachLine, loadavg, quiet, rssBytes } from './lib/util'
import { BenchUsage, help, parseArgs, type BenchOptions } from './lib/args'
import { errCount, fmt, mb, median, phaseThroughput, printTable } from './lib/table'

export type { BenchOptions }

/**
 * Runs the bench with `argv` (scenarios and flags); resolves to the exit status: 0 when every chosen
 * scenario ran (skipped ones included), 1 when one failed, 2 on a bad flag. Prints its own messages.
 */
export async function runBench(argv: string[], o: BenchOptions = { name: 'bun run bench' }): Promise<number> {
  const tag = o.self ? 'chatapi' : 'bench'
  let flags: Record<string, string>
  let positional: string[]
  let chosen: Scenario[]
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(help(o))
    return 0
  }
  try {
    ;({ flags, positional } = parseArgs(argv, o))
    const wanted = (positional[0] ?? 'all').split(',').filter(Boolean)
    chosen = wanted.includes('all')
      ? SCENARIOS.filter((s) => !s.ownsServers && !s.separate)
      : wanted.map((n) => SCENARIOS.find((s) => s.name === n) ?? fail(`unknown scenario "${n}"; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}, all`))
    if (!chosen.length) fail(`no scenario given (see ${o.name} --help)`)
  } catch (e) {
    if (!(e instanceof BenchUsage)) throw e
    console.error(`${tag}: ${e.message}`)
    return 2
  }
  function fail(msg: string): never {
    throw new BenchUsage(msg)
  }

  const secs = Number(flags.secs ?? 5)
  const warmup = Number(flags.warmup ?? 1)
  const runs = Number(flags.runs ?? 1)
  const pin = flags.pin === 'true'
  const jsonOnly = flags.json === 'true'
  const gateS = Number(flags.gate ?? 20)
  /** --server-env=K=V,K=V: extra environment for every spawned server (scenario env wins). */
  const serverEnv = Object.fromEntries((flags['server-env'] ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  if (o.self) spawnServersAs(o.self)
  const tmp = mkdtempSync(join(tmpdir(), 'chatapi-bench-load-'))
  const children = new Set<Subprocess>()
  let failures = 0

  function killLoads() {
    for (const c of children) {
      try {
        c.kill('SIGKILL')
      } catch {}
    }
  }
  function cleanup() {
    killLoads()
    children.clear()
    killSpawned()
    rmSync(tmp, { recursive: true, force: true })
  }
  process.on('exit', cleanup)
  process.on('SIGINT', () => process.exit(130))
  process.on('SIGTERM', () => process.exit(143))
  setTimeout(() => {
    console.error(`${tag}: global hard cap reached`)
    process.exit(3)
  }, Number(flags.cap ?? 1200 * runs) * 1000).unref?.()

  let specN = 0
  function spawnLoad(kind: LoadKind, spec: Record<string, unknown>, hardcapS: number, onLine: (l: Record<string, any>) => void): Promise<void> {
    const file = join(tmp, `spec-${specN++}.json`)
    writeFileSync(file, JSON.stringify(spec))
    const cmd = o.self ? [...o.self, '__bench-load', kind, file] : ['bun', join(import.meta.dir, 'lib', `load-${kind}.ts`), file]
    const p = Bun.spawn(pin ? ['taskset', '-c', '1', ...cmd] : cmd, { stdout: 'pipe', stderr: 'inherit', stdin: 'ignore' })
    children.add(p)
    const killer = setTimeout(() => p.kill('SIGKILL'), (hardcapS + 10) * 1000)
    return (async () => {
      await eachLine(p.stdout, (line) => {
        try {
          onLine(JSON.parse(line))
        } catch {
          if (line.trim()) console.error(line)
        }
      })
      await p.exited
      clearTimeout(killer)
      children.delete(p)
      if (p.exitCode !== 0 && p.signalCode !== 'SIGKILL') {
        failures++
        console.error(`load-${kind} exited ${p.exitCode}`)
      }
    })()
  }

  const rows: string[][] = []
  const results: { scenario: string; throughput: number | null; extra?: Record<string, unknown> }[] = []
  let remote: Target | null = null
  /** ctx.t of a scenario that spawns its own servers (ownsServers) */
  const noServer: Target = { baseUrl: 'http://127.0.0.1:0', host: '127.0.0.1', port: 0, pid: 0, masterKey: null, apiKey: '', async stop() {} }
  if (flags.url) {
    try {
      remote = await remoteTarget(flags.url, flags['api-key'] ?? null, flags['master-key'] ?? null)
    } catch (e) {
      console.error(`${tag}: ${(e as Error).message.replace(/\r?\n/g, ' ')}`)
      return 1
    }
  }

  for (let run = 0; run < runs; run++) {
    for (const sc of chosen) {
      if (remote && sc.needsSpawn) {
        console.error(
          sc.ownsServers
            ? `skip ${sc.name}: it spawns its own servers; run it without --url`
            : `skip ${sc.name}: it needs its own server environment (${JSON.stringify(sc.env)}); start one with it and pass --url`,
        )
        continue
      }
      let t: Target
      try {
        t = sc.ownsServers ? noServer : (remote ?? (await spawnTarget({ ...serverEnv, ...sc.env }, pin ? '0' : null, flags.profile ? `${flags.profile}/${sc.name}` : null, flags['server-entry'])))
      } catch (e) {
        failures++
        console.error(`${sc.name}: the server did not start: ${(e as Error).message}`)
        continue
      }
      const ctx: Ctx = {
        t,
        flags,
        tag: `b${Date.now().toString(36)}${run}`,
        secs,
        warmup,
        async load(kind, spec, hardcapS) {
          const lines: Record<string, any>[] = []
          await spawnLoad(kind, spec, hardcapS, (l) => lines.push(l))
          return lines
        },
        async loadMany(kind, specs, hardcapS, onLine) {
          await Promise.all(specs.map((s, i) => spawnLoad(kind, s, hardcapS, (l) => onLine(i, l))))
        },
        killLoads,
      }
      const gate = gateS > 0 ? await quiet(0.35, gateS) : null
      const load0 = loadavg()
      const rss0 = rssBytes(t.pid)
      const t0 = performance.now()
      let out: Awaited<ReturnType<Scenario['run']>>
      try {
        out = await sc.run(ctx)
      } catch (e) {
        failures++
        console.error(`${sc.name} failed: ${(e as Error).message}`)
        if (!remote) await t.stop()
        continue
      }
      const rss1 = rssBytes(t.pid)
      const load1 = loadavg()
      const commits = await commitStats(t)
      if (!remote) await t.stop()
      const main = out.phases.find((p) => p.phase === (out.headline.latencyPhase ?? 'max')) ?? out.phases[0]
      const record = {
        scenario: sc.name,
        run,
        about: sc.about,
        command: `${o.name} ${sc.name}${Object.entries(flags).map(([k, v]) => ` --${k}${v === 'true' ? '' : `=${/key/.test(k) ? '…' : v}`}`).join('')}`,
        target: remote ? remote.baseUrl : `spawned ${o.self ? `${o.self.join(' ')} serve` : (flags['server-entry'] ?? 'src/index.ts')}`,
        server_env: { ...serverEnv, ...sc.env },
        throughput: out.headline.throughput,
        unit: out.headline.unit,
        ...(main?.latency ?? {}),
        errors: out.phases.reduce((a, p) => a + errCount(p.errors), 0),
        ...out.headline.extra,
        group_commit: commits,
        server_rss_before_bytes: rss0,
        server_rss_after_bytes: rss1,
        server_rss: remote ? 'n/a' : undefined,
        quiet_gate: gate,
        loadavg_before: load0,
        loadavg_after: load1,
        cores: CORES,
        pinned: pin,
        elapsed_s: Math.round((performance.now() - t0) / 100) / 10,
        phases: out.phases,
      }
      console.log(JSON.stringify(record))
      results.push({ scenario: sc.name, throughput: out.headline.throughput, extra: out.headline.extra })
      for (const p of out.phases) {
        const [tp, unit] = phaseThroughput(sc.name, p)
        const l = p.latency ?? {}
        rows.push([
          `${sc.name}/${p.phase}${runs > 1 ? ` #${run}` : ''}`,
          fmt(tp),
          unit,
          fmt(l.p50_ms),
          fmt(l.p90_ms),
          fmt(l.p99_ms),
          fmt(l.max_ms),
          String(errCount(p.errors)),
          `${mb(rss0)}→${mb(rss1)}`,
          fmt(p.server_cpu_cores),
          fmt(p.other_cpu_cores),
          load1[0].toFixed(2),
        ])
      }
    }
  }

  const med = (name: string) => median(results.filter((r) => r.scenario === name).map((r) => r.throughput ?? NaN))
  const ratio = (a: string, b: string) => {
    const x = med(a)
    const y = med(b)
    return x && y ? Math.round((x / y) * 100) / 100 : null
  }
  const ratios = {
    ws_rooms_group_commit_over_baseline: ratio('ws-rooms', 'ws-rooms-baseline'),
    rest_hot_group_commit_over_baseline: ratio('rest-hot', 'rest-hot-baseline'),
    ws_rooms_normal_over_full: ratio('ws-rooms-normal', 'ws-rooms'),
    write_cost_channel_over_dm_p50_latency: median(results.filter((r) => r.scenario === 'write-cost').map((r) => Number(r.extra?.channel_over_dm_p50_latency_c1))),
    pg_scale_rest_two_over_one: median(results.filter((r) => r.scenario === 'pg-scale').map((r) => Number(r.extra?.rest_two_over_one))),
    pg_scale_ws_two_over_one: median(results.filter((r) => r.scenario === 'pg-scale').map((r) => Number(r.extra?.ws_two_over_one))),
    write_cost_dm_over_channel_throughput: median(results.filter((r) => r.scenario === 'write-cost').map((r) => Number(r.extra?.dm_over_channel_throughput))),
  }
  console.log(JSON.stringify({ ratios, medians: Object.fromEntries([...new Set(results.map((r) => r.scenario))].map((n) => [n, med(n)])) }))
  if (!jsonOnly) {
    console.log('')
    printTable(rows)
    console.log('')
    for (const [k, v] of Object.entries(ratios)) if (v !== null) console.log(`${k}: ${v}`)
  }
  if (failures) console.error(`${tag}: ${failures} failure(s), see above`)
  return failures ? 1 : 0
}

if (import.meta.main) process.exit(await runBench(process.argv.slice(2)))
