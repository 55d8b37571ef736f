// Two (or more) ChatAPI processes over one fresh PostgreSQL database and one Redis, for the scale
// and fault suites: availability check, spawn, tenant set-up and clean stop.

import { SQL } from 'bun'
import { freshPgDatabase } from './storage'
import { spawnServer, type ServerProcess } from './process'
import { call, type CallOptions } from './http'

export const PG_ADMIN_URL = process.env.CHATAPI_TEST_DATABASE_URL?.startsWith('postgres') ? process.env.CHATAPI_TEST_DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres'
export const SHARED_REDIS_URL = process.env.CHATAPI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** True when PostgreSQL at `pgUrl` answers a query and something listens on Redis's port. */
export async function pgAndRedisReachable(pgUrl = PG_ADMIN_URL, redisUrl = SHARED_REDIS_URL): Promise<boolean> {
  try {
    const sql = new SQL(pgUrl, { max: 1, connectionTimeout: 2 })
    await sql`SELECT 1`
    await sql.close()
    const r = await Bun.connect({ hostname: '127.0.0.1', port: Number(new URL(redisUrl).port || 6379), socket: { data() {} } })
    r.end()
    return true
  } catch {
    return false
  }
}

export interface Cluster {
  nodes: ServerProcess[]
  dbUrl: string
  apiKey: string
  tenantId: string
  /** A tenant call as `user` through node `i`. */
  as(i: number, user: string): (method: string, path: string, body?: unknown, opts?: CallOptions) => ReturnType<typeof call>
  headers(user: string): Record<string, string>
  admin(i: number, method: string, path: string, body?: unknown): ReturnType<typeof call>
  /** Starts one more node with the same environment (plus `extra`); returns its index. */
  add(extra?: Record<string, string>): Promise<number>
  stop(): Promise<void>
}

export const MASTER = 'cluster-master-key-0123456789abcdef'

/**
 * Starts `n` processes on a fresh database of `pgUrl` and on `redisUrl`, one after the other (the
 * first runs the migrations), and creates one tenant through the first.
 */
export async function startCluster(n: number, o: { pgUrl?: string; redisUrl?: string; env?: Record<string, string>; tenantConfig?: Record<string, unknown> } = {}): Promise<Cluster> {
  const db = await freshPgDatabase(o.pgUrl ?? PG_ADMIN_URL)
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    REDIS_URL: o.redisUrl ?? SHARED_REDIS_URL,
    MASTER_API_KEY: MASTER,
    PRESENCE_GRACE_MS: '300',
    ...o.env,
    ...extra,
  })
  const nodes: ServerProcess[] = []
  try {
    for (let i = 0; i < n; i++) nodes.push(await spawnServer(env()))
  } catch (e) {
    for (const s of nodes) s.proc.kill('SIGKILL')
    await db.drop()
    throw e
  }
  const t = await call(nodes[0].url, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': MASTER }, body: { name: 'cluster', config: o.tenantConfig } })
  if (t.status !== 201) throw new Error(`tenant create failed: ${t.status} ${JSON.stringify(t.body)}`)
  const apiKey: string = t.body.api_key
  const headers = (user: string) => ({ 'x-api-key': apiKey, 'x-user-id': user })
  const cluster: Cluster = {
    nodes,
    dbUrl: db.url,
    apiKey,
    tenantId: t.body.tenant_id,
    headers,
    as: (i, user) => (method, path, body, opts = {}) => call(nodes[i].url, method, path, { ...opts, headers: { ...headers(user), ...opts.headers }, body }),
    admin: (i, method, path, body) => call(nodes[i].url, method, path, { headers: { 'x-master-key': MASTER }, body }),
    async add(extra) {
      nodes.push(await spawnServer(env(extra)))
      return nodes.length - 1
    },
    async stop() {
      for (const s of nodes) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGTERM')
      await Promise.all(nodes.map((s) => Promise.race([s.exited, Bun.sleep(8000).then(() => s.proc.kill('SIGKILL'))])))
      await db.drop()
    },
  }
  return cluster
}
