// bun bench/big-db-reads.ts <db> [--secs=3] [--mmap=268435456] [--cache=-32768] [--rooms=20000] [--evict]
//
// The big-db bench's reads at the store, without HTTP (issue 21): history pages (store.messages.before
// at a random seq in a random room, the rooms shuffled over the whole file), the room list of the
// heavy users (store.rooms.listForUser) and the change feed, each for --secs, on a database written
// by bench/lib/bigdb.ts (its description in <db>.json). --mmap and --cache override the pragmas of
// db/open.ts for the run, to see what bounds a page: the page cache, mmap or SQLite's own cache.
// --evict drops the file from the OS page cache first (this file only). Prints one JSON line with,
// per operation: the rate, CPU µs and its system share, and the counts that do not depend on a busy
// machine: read() calls (pages SQLite found in neither its cache nor the mapped range) and page faults.

import { readFileSync } from 'node:fs'
import { openSqlite } from '../src/db/open'
import { createSqliteStore } from '../src/db/sqlite'
import type { BigDb } from './lib/bigdb'

const [path, ...rest] = process.argv.slice(2)
const flags = Object.fromEntries(rest.map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const secs = Number(flags.secs ?? 3)
const d = (await Bun.file(`${path}.json`).json()) as BigDb
if (flags.evict !== undefined) await Bun.spawn(['dd', `if=${path}`, 'iflag=nocache', 'count=0', 'status=none']).exited
const db = openSqlite(path, { synchronous: 'NORMAL' })
if (flags.mmap) db.exec(`PRAGMA mmap_size = ${Number(flags.mmap)}`)
if (flags.cache) db.exec(`PRAGMA cache_size = ${Number(flags.cache)}`)
const store = createSqliteStore(db)
const n = Math.min(d.rooms.length, Number(flags.rooms ?? 20_000))
let seed = 99
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296)
const rooms = Array.from({ length: n }, () => d.rooms[Math.floor(rnd() * d.rooms.length)])
const perRoom = d.messages / d.rooms.length

/** read syscalls so far (/proc/self/io) and page faults (/proc/self/stat): counts, not times, so noise-free. */
function io() {
  const syscr = Number(/syscr: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1])
  const stat = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
  return { syscr, minflt: Number(stat[7]), majflt: Number(stat[9]) }
}

function timed(name: string, fn: (i: number) => void) {
  const until = performance.now() + secs * 1000
  const io0 = io()
  const cpu0 = process.cpuUsage()
  let i = 0
  const t0 = performance.now()
  while (performance.now() < until) for (let k = 0; k < 20; k++) fn(i++)
  const el = (performance.now() - t0) / 1000
  const c = process.cpuUsage(cpu0)
  const io1 = io()
  const per = (k: 'syscr' | 'minflt' | 'majflt') => Math.round(((io1[k] - io0[k]) / i) * 100) / 100
  return {
    [`${name}_reads`]: per('syscr'),
    [`${name}_minflt`]: per('minflt'),
    [`${name}_majflt`]: per('majflt'), [name]: Math.round(i / el), [`${name}_us_cpu`]: Math.round((c.user + c.system) / i), [`${name}_sys_share`]: Math.round((c.system / (c.user + c.system)) * 100) / 100 }
}
const out = {
  db: path,
  messages: d.messages,
  mmap: db.query('PRAGMA mmap_size').get(),
  cache: db.query('PRAGMA cache_size').get(),
  ...timed('history', (i) => {
    const rows = store.messages.before(rooms[i % n], 51 + Math.floor(rnd() * (perRoom - 50)), 50)
    if (rows.length !== 50) throw new Error(`short page ${rows.length}`)
  }),
  ...timed('rooms', (i) => store.rooms.listForUser(d.tenantId, d.heavy[i % d.heavy.length], 20)),
  ...timed('changes', (i) => store.messages.changes(rooms[i % n], 0, 50)),
}
db.close()
console.log(JSON.stringify(out))
