// The bench's flags: what each takes, the usage text, and the parser (a bad flag is exit 2).

import { SCENARIOS } from './scenarios'

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
  'rest-client': 'text',
  'fanout-members': 'count',
  'fanout-window': 'count',
  'history-msgs': 'count',
  'history-rooms': 'count',
  'idle-conns': 'count',
  'c100k-conns': 'count',
  'c100k-channel': 'count',
  'c100k-procs': 'count',
  'c100k-window': 'count',
  'c100k-rate': 'pos',
  'c100k-burst': 'count',
  'c100k-missed': 'count0',
  'channel-members': 'count',
  'pg-url': 'text',
  'redis-url': 'text',
  'pg-rate': 'pos',
  'nn-rooms': 'count',
  'nn-members': 'count',
  'nn-flood': 'count',
  'victim-rate': 'pos',
  'attacker-rate': 'pos',
  'search-msgs': 'count0',
  'search-rooms': 'count',
  'search-power-rooms': 'count',
  'search-concurrency': 'count',
  'search-seed-cap': 'pos',
  'tax-rounds': 'count0',
  'lifecycle-msgs': 'count',
  'purge-rate': 'pos',
  'big-rooms': 'count',
  'small-rooms': 'count',
  'per-room': 'count',
  'big-history-rooms': 'count',
  'big-db-dir': 'text',
  startups: 'count0',
  visits: 'count',
  profile: 'text',
  'server-env': 'env',
  'server-entry': 'text',
  svg: 'bool',
  quick: 'bool',
  curves: 'text',
  'curve-rounds': 'count',
  'curves-rate': 'pos',
  'svg-dir': 'text',
}
/** They need bun and a checkout: a profile is `bun --cpu-prof`, an entry is a .ts file run by bun. */
const CHECKOUT_ONLY = ['profile', 'server-entry']

/** A usage error: the bench prints its message and exits 2. */
export class BenchUsage extends Error {}

export function help(o: BenchOptions): string {
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
    '  --rest-client=raw       the REST load\'s HTTP client: raw keep-alive sockets (bench/lib/rawhttp.ts) or fetch',
    '  --fanout-members=1000 --fanout-window=32  --history-msgs=1000 --history-rooms=10',
    '  --pg-url=postgres://postgres@127.0.0.1:5432/postgres --redis-url=redis://127.0.0.1:6379 --pg-rate=1000',
    '                          pg-scale (not in all): 1 vs 2 instances, a fresh database per case',
    '                          cluster-order (not in all): 2 instances, 2 senders per room on different instances; extra wait for seq order',
    '  --search-msgs=1000000 --search-rooms=msgs/100 --search-power-rooms=2000 --search-concurrency=16',
    '  --search-seed-cap=600 --tax-rounds=2 (0: no tax; --search-msgs=0: the tax only)  search (not in all): queries on a',
    '                          seeded database, then ws-rooms and rest-hot with search on vs off (ABBA)',
    '  --lifecycle-msgs=1000000 --purge-rate=1000                      purge, export (not in all): a prefilled',
    '                          room of that many messages; sends at purge-rate while retention deletes them',
    '  --big-rooms=100000 --small-rooms=1000 --per-room=100 --big-history-rooms=20000 --startups=3 --visits=4',
    '  --big-db-dir=DIR        big-db (not in all): a database of big-rooms × per-room messages vs a small one',
    '                          (small, big, big, small); DIR keeps and reuses the built files (default: temp, deleted);',
    '                          a first build needs --cap=5400 (10M rows and their search index: ~30 min)',
    '  --svg --quick --curves=room-size,rooms,conns,db-size --curves-rate=2000 --curve-rounds=1 --svg-dir=docs/perf',
    '                          curves (not in all): throughput and p99 against room size, rooms, idle connections and',
    '                          database size, a fresh server per point (rounds: up and down the sweep, medians);',
    '                          --svg writes the charts and tables to --svg-dir',
    '  --idle-conns=20000  --channel-members=5000  --cap=1200×runs (global hard cap, seconds)',
    '  --c100k-conns=100000 --c100k-channel=10000 --c100k-rate=10 --c100k-burst=100 --c100k-missed=20',
    '  --c100k-procs=4 --c100k-window=500',
    '                          c100k (not in all): that many sockets (fewer when the fd limit says so), a channel',
    '                          broadcast at rate/s for --secs and a burst, then a reconnect storm (channel members',
    '                          sync the last `missed` broadcasts) beside another tenant sending at --victim-rate',
    '  --nn-rooms=4000 --nn-members=5000 --nn-flood=500 --victim-rate=50 --attacker-rate=100',
    '                          noisy-neighbour (not in all; 6 phases of --secs, e.g. --secs=20)',
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
export function parseArgs(argv: string[], o: BenchOptions): { flags: Record<string, string>; positional: string[] } {
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

