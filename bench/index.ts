// bun run bench [scenario[,scenario…]|all] [flags]: a bounded load generator for ChatAPI.
// It spawns a fresh server per scenario (own temp database) unless --url targets a running one, runs
// the load in separate processes (bench/lib/load-*.ts), and prints a table plus one JSON line per
// scenario: throughput, p50/p90/p99/max latency, errors, server RSS before/after, load average.
// Every load loop is bounded in time and count; every child is killed by its pid at the end.
//
// The same driver is `chatapi bench` in the compiled binary (src/index.ts imports runBench lazily):
// there it spawns the load processes as `<binary> __bench-load ws|rest <spec.json>` and servers (no
// --url) as `<binary> serve`, since the binary has neither bun nor bench/ beside it.

import { join } from 'node:path'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { Subprocess } from 'bun'
import { SCENARIOS, type Ctx, type Phase, type Scenario } from './lib/scenarios'
import { commitStats, killSpawned, remoteTarget, spawnServersAs, spawnTarget, type Target } from './lib/target'
import { CORES, eachLine, loadavg, quiet, rssBytes } from './lib/util'

export interface BenchOptions {
  /** How the usage text and each JSON line's `command` name the bench. */
  name: string
  /**
   * The argv that runs this program again (`[chatapi]` compiled, `[bun, src/index.ts]` from source):
   * load processes run as `<self> __bench-load <kind> <spec.json>`, spawned servers as `<self> serve`.
   * Unset (bun run bench): `bun bench/lib/load-<kind>.ts <spec.json>` and `bun src/index.ts serve`.
   */
  self?: string[]
}

/** How a flag's value is checked: a bad one stops the bench before anything runs (exit 2). */
type FlagKind = 'bool' | 'count' | 'count0' | 'pos' | 'nonneg' | 'text' | 'url' | 'env'
const FLAGS: Record<string, FlagKind> = {
  json: 'bool',
  pin: 'bool',
  secs: 'pos',
  warmup: 'nonneg',
  runs: 'count',
  gate: 'nonneg',
  cap: 'pos',
  url: 'url',
  'api-key': 'text',
  'master-key': 'text',
  rooms: 'count',
  members: 'count',
  window: 'count',
  rate: 'pos',
  probes: 'count0',
  concurrency: 'count',
  'rest-rate': 'pos',
  'fanout-members': 'count',
  'fanout-window': 'count',
  'history-msgs': 'count',
  'history-rooms': 'count',
  'idle-conns': 'count',
  'channel-members': 'count',
  'pg-url': 'text',
  'redis-url': 'text',
  'pg-rate': 'pos',
  profile: 'text',
  'server-env': 'env',
  'server-entry': 'text',
}
/** They need bun and a checkout: a profile is `bun --cpu-prof`, an entry is a .ts file run by bun. */
const CHECKOUT_ONLY = ['profile', 'server-entry']

class BenchUsage extends Error {}

function help(o: BenchOptions): string {
  const bin = !!o.self
  const lines = [
    `usage: ${o.name} [scenario[,scenario…]|all] [flags]`,
    ...(bin
      ? [
          '  Load-tests a running ChatAPI: --url=http://host:port with --master-key=… (a bench tenant is created)',
          '  or --api-key=… (an existing tenant). Without --url each scenario spawns this binary\'s `serve` on a',
          '  temporary database. The load runs in separate processes of this binary; stop with Ctrl-C.',
        ]
      : []),
    `scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    '  --secs=5 --warmup=1     measured seconds and warm-up seconds per phase',
    '  --runs=1                repeat the scenario list (round-robin, so drift hits all alike)',
    '  --pin                   pin the spawned server to CPU 0 and the load processes to CPU 1',
    '  --url=http://h:p        target a running ChatAPI (with --api-key=… or --master-key=…; RSS is n/a,',
    '                          scenarios that need their own server env are skipped)',
    '  --rooms=100 --members=10 --window=8 --rate=5000 --probes=1      ws-rooms*',
    '  --concurrency=64 --rest-rate=1000                                rest-*, history, write-cost',
    '  --fanout-members=1000 --fanout-window=32  --history-msgs=1000 --history-rooms=10',
    '  --pg-url=postgres://postgres@127.0.0.1:5432/postgres --redis-url=redis://127.0.0.1:6379 --pg-rate=1000',
    '                          pg-scale (not in all): 1 vs 2 instances, a fresh database per case',
    '  --idle-conns=20000  --channel-members=5000  --cap=1200×runs (global hard cap, seconds)',
    '  --gate=20               before each scenario wait up to this many seconds for the box to idle',
    '                          (< 0.35 busy cores); 0 = no wait. The JSON line records the result.',
    ...(bin
      ? []
      : [
          '  --profile=DIR           run each spawned server under bun --cpu-prof(-md), profiles in DIR/<scenario>',
        ]),
    '  --server-env=K=V,…      extra environment for every spawned server (e.g. WAL or batch tuning)',
    ...(bin ? [] : ["  --server-entry=PATH     spawn this ChatAPI entry (e.g. another checkout's src/index.ts) for A/B runs"]),
    '  --json                  only the JSON lines',
  ]
  return lines.join('\n')
}

/** `--name=value`, `--name value` (flags that take one) and `--bool`; anything else is a usage error. */
function parseArgs(argv: string[], o: BenchOptions): { flags: Record<string, string>; positional: string[] } {
  const see = `(see ${o.name} --help)`
  const flags: Record<string, string> = {}
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) {
      if (a.startsWith('-')) throw new BenchUsage(`unknown flag ${a} ${see}`)
      positional.push(a)
      continue
    }
    const eq = a.indexOf('=')
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq)
    const kind = FLAGS[name]
    if (!kind) throw new BenchUsage(`unknown flag --${name} ${see}`)
    if (o.self && CHECKOUT_ONLY.includes(name)) throw new BenchUsage(`--${name} needs bun run bench from a checkout`)
    let v: string | undefined
    if (kind === 'bool') {
      if (eq >= 0) throw new BenchUsage(`--${name} takes no value`)
      v = 'true'
    } else {
      v = eq >= 0 ? a.slice(eq + 1) : argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : undefined
      if (v === undefined || v === '') throw new BenchUsage(`--${name} needs a value (--${name}=…)`)
    }
    const bad = (want: string) => new BenchUsage(`--${name}: expected ${want}, got "${v}"`)
    if ((kind === 'count' || kind === 'count0') && !(/^\d+$/.test(v) && Number(v) >= (kind === 'count' ? 1 : 0)))
      throw bad(kind === 'count' ? 'an integer ≥ 1' : 'an integer ≥ 0')
    if ((kind === 'pos' || kind === 'nonneg') && !(/^\d+(\.\d+)?$/.test(v) && (kind === 'nonneg' || Number(v) > 0)))
      throw bad(kind === 'pos' ? 'a number > 0' : 'a number ≥ 0')
    if (kind === 'url') {
      let u: URL | null = null
      try {
        u = new URL(v)
      } catch {}
      // The WebSocket load speaks plain ws:// on raw sockets: point it at the instance, not at TLS.
      if (!u || u.protocol !== 'http:' || !u.hostname) throw bad('http://host:port (plain HTTP: bench the instance behind any TLS terminator)')
    }
    if (kind === 'env' && !v.split(',').filter(Boolean).every((kv) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(kv))) throw bad('K=V[,K=V…]')
    flags[name] = v
  }
  if (positional.length > 1) throw new BenchUsage(`unexpected argument "${positional[1]}": scenarios go in one comma-separated list ${see}`)
  if (!flags.url && (flags['api-key'] || flags['master-key'])) throw new BenchUsage('--api-key and --master-key go with --url')
  if (flags.url && !flags['api-key'] && !flags['master-key']) throw new BenchUsage('--url needs --master-key=… or --api-key=…')
  return { flags, positional }
}

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
      ? SCENARIOS.filter((s) => !s.ownsServers)
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
  function spawnLoad(kind: 'ws' | 'rest', spec: Record<string, unknown>, hardcapS: number, onLine: (l: Record<string, any>) => void): Promise<void> {
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

const fmt = (x: unknown) => (x === null || x === undefined ? '-' : typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(2)) : String(x))
const mb = (b: number | null) => (b === null ? 'n/a' : (b / 2 ** 20).toFixed(1))
const errCount = (e: Record<string, number> | undefined) => Object.values(e ?? {}).reduce((a, b) => a + b, 0)
function phaseThroughput(s: string, p: Phase): [number | null, string] {
  if (s === 'fanout-1000') return [p.deliveries_per_s, 'deliveries/s']
  if (p.persisted_per_s !== undefined) return [p.persisted_per_s, 'msg/s']
  if (p.kind === 'history') return [p.ok_per_s, 'pages/s']
  if (p.ok_per_s !== undefined) return [p.ok_per_s, 'msg/s']
  return [p.connections ?? null, 'sockets']
}

const HEAD = ['scenario/phase', 'throughput', 'unit', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'RSS MB before→after', 'srv cpu', 'other cpu', 'load1']
function printTable(rs: string[][]) {
  const all = [HEAD, ...rs]
  const w = HEAD.map((_, i) => Math.max(...all.map((r) => r[i].length)))
  for (const r of all) console.log(r.map((c, i) => (i === 0 || i === 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '))
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null
}

if (import.meta.main) process.exit(await runBench(process.argv.slice(2)))
