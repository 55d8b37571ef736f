// c100k (issue 21): 100,000 concurrent WebSockets on one instance, or as many as the open-files
// limit lets one server process hold (it says so, and why). Clients are raw sockets
// (c100k-socket.ts) spread over several load processes (load-c100k.ts) and source addresses
// 127.0.<round>.<2…> (10,000 sockets per address, a new set of addresses for the reconnect storm),
// so the ~28,000 ephemeral ports of one address are never the limit. Users sit in groups of 10;
// the first 9,999 (--c100k-channel) are also in one channel with an owner who sends over REST.
// Phases, all with every socket connected:
// - hold: server RSS before the sockets, 3 s after the last one connected, and 15 s later (settled);
// - broadcast-rate: --c100k-rate channel messages a second for --secs: deliveries/s and the
//   send→receive latency of every delivery (the content carries the send's wall-clock time);
// - broadcast-burst: --c100k-burst messages, 8 at a time, as fast as the server takes them;
// - storm: every socket closes at once and reconnects with its connect-time sync (the channel's
//   members ack all but the last --c100k-missed (20) broadcasts first, over REST, so each sync
//   streams that many; the group rooms have nothing to send); time until the last
//   sync.done, while another tenant sends at --victim-rate/s over REST (its p99 against its own
//   baseline taken just before).
// ACK_TIMEOUT_MS is an hour here: the members never ack, and redelivery to 10,000 connected
// members 30 s after each broadcast would mix into the storm's figures (it is measured elsewhere).

import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import type { Ctx, Phase, Scenario } from './types'
import { createRoom, pool, tenantCall } from './target'
import { cpuWindow, round, rssBytes, rssParts, sleep } from './util'
import { raiseNofile, readNofile } from './nofile'
import { wallMs } from './c100k-socket'
import type { C100kSpec } from './load-c100k'
import { binSummary, fdCount, quantiles } from './c100k-stats'

const num = (ctx: Ctx, k: string, def: number) => (ctx.flags[k] !== undefined ? Number(ctx.flags[k]) : def)
/** fds the server keeps for itself (database, WAL, listener, workers, pipes) */
const SERVER_SPARE_FDS = 300
const PER_ADDR = 10_000

type Line = Record<string, any>

export const c100k: Scenario = {
  name: 'c100k',
  about: '100,000 WebSockets (or what the fd limit allows) over several processes and source addresses: RSS per idle connection, a 10,000-member channel broadcast, a reconnect storm with sync beside another tenant',
  env: { WS_MAX_CONNECTIONS_PER_TENANT: '10000000', ACK_TIMEOUT_MS: '3600000' },
  needsSpawn: true,
  separate: true,
  async run(ctx) {
    const t = ctx.t
    if (!t.masterKey || !t.pid) throw new Error('c100k spawns its own server (no --url): it reads its RSS and fd limit and makes a second tenant')
    const want = num(ctx, 'c100k-conns', 100_000)
    // File limits: ours (the load processes inherit it) and the server's, soft raised to hard (or higher when allowed).
    const mine = await raiseNofile(0, Math.min(want + 1000, 1 << 20))
    const srv = await raiseNofile(t.pid, want + SERVER_SPARE_FDS)
    const srvSoft = srv.after?.soft ?? readNofile(t.pid)?.soft ?? 1024
    const n = Math.max(10, Math.min(want, srvSoft - SERVER_SPARE_FDS))
    const limits = { bench: mine.after, server: srv.after, refused: srv.error }
    if (n < want)
      console.error(
        `c100k: SCALED DOWN to ${n} connections (asked ${want}): the server process may hold ${srvSoft} open files ` +
          `(hard limit ${srv.after?.hard}) and every socket is one; raising it to ${want + SERVER_SPARE_FDS}: ${srv.error ?? 'not attempted'}. ` +
          `Run where the hard limit allows it (docker --ulimit nofile=…, systemd LimitNOFILE=…, limits.conf) for the full count.`,
      )
    const ownSoft = mine.after?.soft ?? 1024
    const perProc = Math.min(ownSoft - 200, Math.ceil(n / num(ctx, 'c100k-procs', 4)))
    const procs = Math.ceil(n / perProc)
    const chanSize = Math.min(num(ctx, 'c100k-channel', 10_000), n + 1)
    const rate = num(ctx, 'c100k-rate', 10)
    const burst = num(ctx, 'c100k-burst', 100)

    // Users in groups of 10; the channel: its owner (the sender, not connected) and users[0 … chanSize-2].
    const users = Array.from({ length: n }, (_, i) => `${ctx.tag}u${i}`)
    const s0 = performance.now()
    await pool(16, Array.from({ length: Math.ceil(n / 10) }, (_, r) => () => createRoom(t, users[r * 10], 'group', users.slice(r * 10 + 1, r * 10 + 10))))
    const owner = `${ctx.tag}owner`
    const inChannel = users.slice(0, chanSize - 1)
    const channel = await createRoom(t, owner, 'channel', inChannel.slice(0, 999))
    for (let i = 999; i < inChannel.length; i += 1000) await tenantCall(t, owner, 'POST', `/v1/rooms/${channel}/members`, { user_ids: inChannel.slice(i, i + 1000) })
    // The other tenant: two users of one room, sending at a steady rate through the storm.
    const V = (await (await fetch(`${t.baseUrl}/v1/admin/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Master-Key': t.masterKey },
      body: JSON.stringify({ name: 'c100k-other', config: { rate_limit_per_sec: 1_000_000 } }),
    })).json()) as { api_key: string }
    const vUser = `${ctx.tag}other`
    const vRoom = (await (await fetch(`${t.baseUrl}/v1/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-API-Key': V.api_key, 'X-User-Id': vUser },
      body: JSON.stringify({ type: 'group', members: [`${ctx.tag}other2`] }),
    })).json()) as { room_id: string }
    const setupS = round((performance.now() - s0) / 1000, 1)

    const dir = mkdtempSync(join(tmpdir(), 'chatapi-c100k-'))
    const ctl = join(dir, 'ctl')
    let cmdN = 0
    const lines: Line[][] = Array.from({ length: procs }, () => [])
    const command = (cmd: string) => {
      // written aside and renamed: a poller never reads half a command
      writeFileSync(join(dir, 'ctl.tmp'), JSON.stringify({ n: ++cmdN, cmd }))
      renameSync(join(dir, 'ctl.tmp'), ctl)
      return cmdN
    }
    /** Waits until every members process printed a line matching `pred`; returns those lines. */
    async function fromAll(pred: (l: Line) => boolean, timeoutMs: number): Promise<Line[]> {
      const end = performance.now() + timeoutMs
      for (;;) {
        const found = lines.map((ls) => ls.find(pred))
        if (found.every(Boolean)) return found as Line[]
        if (performance.now() > end) throw new Error(`c100k: ${found.filter(Boolean).length}/${procs} load processes answered in ${timeoutMs} ms`)
        await sleep(50)
      }
    }
    const ask = async (cmd: string, timeoutMs = 30_000) => {
      const k = command(cmd)
      return fromAll((l) => l.ack === k, timeoutMs)
    }

    try {
      await sleep(1500)
      const rssBefore = rssBytes(t.pid)
      const anonBefore = rssParts(t.pid)?.anon ?? null
      const base = { host: t.host, port: t.port, baseUrl: t.baseUrl, apiKey: t.apiKey, ctl }
      const hardcapS = 900 + Math.ceil(n / 100)
      const specs: C100kSpec[] = []
      for (let i = 0; i < n; i += perProc)
        specs.push({ ...base, role: 'members', users: users.slice(i, i + perProc), first: i, per_addr: PER_ADDR, window: num(ctx, 'c100k-window', 500), hardcap_s: hardcapS })
      const c0 = performance.now()
      const connectCpu = cpuWindow(t.pid)
      const loads = ctx.loadMany('c100k', specs as unknown as Record<string, unknown>[], hardcapS, (i, l) => lines[i].push(l))
      const ready = await fromAll((l) => l.ready !== undefined, hardcapS * 1000)
      const connectS = round((performance.now() - c0) / 1000, 1)
      const connectCores = connectCpu()
      const connected = ready.reduce((a, l) => a + l.ready, 0)
      await sleep(3000)
      const rssWith = rssBytes(t.pid)
      const idleCpu = cpuWindow(t.pid)
      await sleep(12_000)
      const idleCores = idleCpu()
      const rssSettled = rssBytes(t.pid)
      const parts = rssParts(t.pid)
      const kb = (at: number | null) => (rssBefore !== null && at !== null && connected ? round((at - rssBefore) / connected / 1024, 2) : null)
      const hold: Phase = {
        phase: 'hold',
        requested: want,
        connections: connected,
        failed: ready.reduce((a, l) => a + l.failed, 0),
        connect_s: connectS,
        connect_cpu: connectCores,
        load_processes_cpu_cores: round(ready.reduce((a, l) => a + (l.cpu_s ?? 0), 0) / connectS, 2),
        // what the server spends with every socket idle (pings are 30 s apart: none in this window)
        idle_server_cpu_cores: idleCores.server_cpu_cores,
        load_processes: procs,
        source_addresses: Math.ceil(n / PER_ADDR),
        server_fds: fdCount(t.pid),
        limits,
        setup_s: setupS,
        rss_before_conns_bytes: rssBefore,
        rss_with_conns_bytes: rssWith,
        rss_settled_bytes: rssSettled,
        rss_settled_anon_bytes: parts?.anon,
        // RSS counts the database's mmap'd pages the connect-time queries touched (file-backed,
        // shared with the page cache); the anonymous part is the memory the connections cost
        rss_anon_per_conn_settled_kb: anonBefore !== null && parts && connected ? round((parts.anon - anonBefore) / connected / 1024, 2) : null,
        rss_per_conn_kb: kb(rssWith),
        rss_per_conn_settled_kb: kb(rssSettled),
        errors: ready.reduce((a, l) => a + l.failed, 0) ? { connect: ready.reduce((a, l) => a + l.failed, 0) } : {},
      }
      console.error(`c100k: ${connected} connected in ${connectS} s; ${hold.rss_per_conn_settled_kb} KB/conn settled`)

      const send = (k: number) => tenantCall(t, owner, 'POST', `/v1/rooms/${channel}/messages`, { content: `${wallMs().toFixed(3)}|c100k ${k}` })
      /** Waits until the members' delivery count stops moving (≤ 30 s), then takes and resets it. */
      async function collect(phase: string, first: number, sent: number): Promise<Phase> {
        let last = -1
        for (let i = 0; i < 60; i++) {
          await sleep(500)
          const c = (await ask('count')).reduce((a, l) => a + l.messages, 0)
          if (c === last) break
          last = c
        }
        const r = await ask('report')
        const bins = new Map<number, number>()
        for (const l of r) for (const [b, c] of l.hist as [number, number][]) bins.set(b, (bins.get(b) ?? 0) + c)
        const delivered = r.reduce((a, l) => a + l.messages, 0)
        const lastAt = Math.max(...r.map((l) => l.last_at))
        const expected = sent * inChannel.length
        return {
          phase,
          sent,
          channel_members_connected: inChannel.length,
          deliveries: delivered,
          expected,
          deliveries_per_s: Math.round(delivered / ((lastAt - first) / 1000)),
          span_s: round((lastAt - first) / 1000, 2),
          latency: binSummary(bins),
          errors: delivered < expected ? { undelivered: expected - delivered } : {},
        }
      }

      // broadcast at a steady rate (open loop; at most 32 sends outstanding)
      await ask('report')
      const total = Math.round(rate * ctx.secs)
      let first = wallMs()
      const pending = new Set<Promise<unknown>>()
      for (let k = 0; k < total; k++) {
        const due = first + (k / rate) * 1000
        if (due > wallMs()) await sleep(due - wallMs())
        while (pending.size >= 32) await Promise.race(pending)
        const p = send(k).finally(() => pending.delete(p))
        pending.add(p)
      }
      await Promise.all(pending)
      const steady = await collect(`broadcast-at-${rate}`, first, total)
      // burst: as fast as the server takes them, 8 outstanding
      first = wallMs()
      const burstCpu = cpuWindow(t.pid)
      let k = 0
      await Promise.all(Array.from({ length: 8 }, async () => { while (k < burst) await send(total + k++) }))
      const burstPhase: Phase = { ...(await collect('broadcast-burst', first, burst)), ...burstCpu() }

      // What the storm's syncs stream: the channel's members ack all but the last --c100k-missed
      // messages (as clients that saw the rest live), so each of them gets that many back.
      const missed = Math.min(num(ctx, 'c100k-missed', 20), total + burst)
      const a0 = performance.now()
      await pool(16, inChannel.map((u) => () => tenantCall(t, u, 'POST', '/v1/acks', { room_id: channel, seq: total + burst - missed })))
      const ackS = round((performance.now() - a0) / 1000, 1)

      // the other tenant: a baseline, then the storm
      const victimSpec: C100kSpec = { ...base, role: 'victim', apiKey: V.api_key, room_id: vRoom.room_id, user: vUser, rate: num(ctx, 'victim-rate', 50), hardcap_s: hardcapS }
      const victimLines = ctx.load('c100k', victimSpec as unknown as Record<string, unknown>, hardcapS)
      await sleep(1000)
      const baseFrom = wallMs()
      await sleep(Math.max(5, ctx.secs) * 1000)
      const stormAt = wallMs()
      const rssPreStorm = rssBytes(t.pid)
      const stormCpu = cpuWindow(t.pid)
      const storm = await ask('storm', 600_000)
      const stormCores = stormCpu()
      const stormEnd = Math.max(...storm.map((l) => l.last_at))
      await sleep(2000)
      const rssAfterStorm = rssBytes(t.pid)
      command('stop')
      const v = (await victimLines).find((l) => l.victim) ?? { samples: [], errors: {} }
      await loads
      const win = (a: number, b: number, endBefore = Infinity) =>
        quantiles((v.samples as [number, number][]).filter(([at, ms]) => at >= a && at < b && at + ms < endBefore).map(([, ms]) => ms))
      const stormS = round((stormEnd - stormAt) / 1000, 2)
      const stormPhase: Phase = {
        phase: 'storm',
        connections: connected,
        reconnected: storm.reduce((a, l) => a + l.reconnected, 0),
        failed: storm.reduce((a, l) => a + l.failed, 0),
        attempts: storm.reduce((a, l) => a + l.attempts, 0),
        missed_per_channel_member: missed,
        synced_messages: storm.reduce((a, l) => a + l.synced, 0),
        acks_set_up_s: ackS,
        reconnect_s: stormS,
        reconnects_per_s: Math.round(connected / stormS),
        // sends that were answered before the storm began (one still waiting then is the storm's)
        other_tenant_before: win(baseFrom, stormAt, stormAt),
        latency: win(stormAt, stormEnd),
        other_tenant_errors: v.errors,
        // the slowest sends of the other tenant: [seconds after its baseline began, ms] (when the stalls were)
        other_tenant_slowest: (v.samples as [number, number][])
          .filter(([at]) => at >= baseFrom && at < stormEnd)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([at, ms]) => [round((at - baseFrom) / 1000, 1), round(ms, 0)]),
        storm_began_s: round((stormAt - baseFrom) / 1000, 1),
        ...stormCores,
        load_processes_cpu_cores: round(storm.reduce((a, l) => a + (l.cpu_s ?? 0), 0) / stormS, 2),
        rss_before_storm_bytes: rssPreStorm,
        rss_after_storm_bytes: rssAfterStorm,
        errors: Object.assign({}, ...storm.map((l) => l.errors)),
      }
      return {
        phases: [hold, steady, burstPhase, stormPhase],
        headline: {
          throughput: connected,
          unit: 'connections',
          latencyPhase: 'storm',
          extra: {
            scaled_down: n < want,
            rss_per_conn_kb: hold.rss_per_conn_kb,
            rss_per_conn_settled_kb: hold.rss_per_conn_settled_kb,
            rss_anon_per_conn_settled_kb: hold.rss_anon_per_conn_settled_kb,
            broadcast_deliveries_per_s: burstPhase.deliveries_per_s,
            broadcast_p99_ms: steady.latency.p99_ms,
            storm_reconnect_s: stormS,
            storm_other_tenant_p99_ms: stormPhase.latency.p99_ms,
            other_tenant_p99_before_ms: stormPhase.other_tenant_before.p99_ms,
          },
        },
      }
    } finally {
      command('stop')
      await sleep(300)
      ctx.killLoads()
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
