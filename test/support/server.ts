// startTestServer: the real server on 127.0.0.1:0 with a temp-dir SQLite file and small timing knobs.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/log'
import { startServer, type Overrides, type ServerHandle } from '../../src/server'
import { call, type CallOptions, type CallResult } from './http'
import { freshPgDatabase, TEST_CLUSTER, TEST_PG_URL, TEST_REDIS_URL } from './storage'
import { startTcpProxy, type TcpProxy } from './tcp-proxy'

export const MASTER_KEY = 'test-master-key'

export interface TestTenant {
  tenant_id: string
  api_key: string
  webhook_secret: string
  user_token_secret: string
  /** A tenant call as `user`. */
  as(user: string): (method: string, path: string, opts?: CallOptions) => Promise<CallResult>
  headers(user: string): Record<string, string>
}

export interface TestServer {
  url: string
  wsUrl: string
  /** The (first) instance's in-process handle; in cluster mode the proxy may route a client to another. */
  handle: ServerHandle
  /** Cluster mode: every instance, and the proxy in front of them. */
  instances?: ServerHandle[]
  proxy?: TcpProxy
  dir: string
  admin(method: string, path: string, opts?: CallOptions): Promise<CallResult>
  call(method: string, path: string, opts?: CallOptions): Promise<CallResult>
  newTenant(config?: Record<string, unknown>): Promise<TestTenant>
  stop(): Promise<void>
}

/** Where a test server keeps its data when a test needs something other than the suite-wide switch. */
export interface TestStorage {
  /** A PostgreSQL server URL: the test server gets a fresh database there, on any pass. */
  postgres?: string
  /** false: no Redis even on the PG+Redis pass (one instance over PostgreSQL, in-process fan-out). */
  redis?: boolean
}

/**
 * Starts a server with the given environment overrides (strings, as the real environment), where
 * it keeps its data, and in-process overrides (e.g. a shorter token-expiry sweep).
 */
export async function startTestServer(env: Record<string, string> = {}, options: TestStorage & Partial<Overrides> = {}): Promise<TestServer> {
  const { postgres, redis, ...overrides } = options
  const storage: TestStorage = { postgres, redis }
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-test-'))
  const pgServer = storage.postgres ?? TEST_PG_URL
  const pg = pgServer ? await freshPgDatabase(pgServer) : null
  const config = loadConfig({
    LISTEN_ADDR: '127.0.0.1:0',
    DATABASE_URL: pg?.url ?? join(dir, 'chatapi.db'),
    ...(TEST_REDIS_URL && storage.redis !== false && { REDIS_URL: TEST_REDIS_URL }),
    MASTER_API_KEY: MASTER_KEY,
    DEFAULT_RATE_LIMIT: '100000',
    ACK_TIMEOUT_MS: '200',
    RETRY_BASE_MS: '20',
    PRESENCE_GRACE_MS: '300',
    SHUTDOWN_DRAIN_TIMEOUT_MS: '2000',
    BACKUP_DIR: join(dir, 'backups'),
    LOG_LEVEL: process.env.CHATAPI_TEST_LOG ?? 'error',
    ...env,
  })
  // Cluster mode: the instances start one after the other (the first migrates), same config.
  const count = TEST_CLUSTER >= 2 && config.REDIS_URL ? TEST_CLUSTER : 1
  const instances: ServerHandle[] = []
  try {
    for (let i = 0; i < count; i++) instances.push(await startServer(config, { log: createLogger(config.LOG_LEVEL), ...overrides }))
  } catch (e) {
    for (const h of instances) await h.stop('test')
    await pg?.drop()
    throw e
  }
  const handle = instances[0]
  const proxy = count > 1 ? startTcpProxy(instances.map((h) => ({ hostname: '127.0.0.1', port: h.port }))) : undefined
  const port = proxy?.port ?? handle.port
  const url = `http://127.0.0.1:${port}`
  const server: TestServer = {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    handle,
    ...(proxy && { instances, proxy }),
    dir,
    call: (method, path, opts) => call(url, method, path, opts),
    admin: (method, path, opts = {}) =>
      call(url, method, path, { ...opts, headers: { 'x-master-key': MASTER_KEY, ...opts.headers } }),
    async newTenant(cfg) {
      const r = await server.admin('POST', '/v1/admin/tenants', { body: { name: 'test', config: cfg } })
      if (r.status !== 201) throw new Error(`tenant create failed: ${r.status} ${JSON.stringify(r.body)}`)
      const t = r.body as Omit<TestTenant, 'as' | 'headers'>
      const headers = (user: string) => ({ 'x-api-key': t.api_key, 'x-user-id': user })
      return {
        ...t,
        headers,
        as: (user) => (method, path, opts = {}) => call(url, method, path, { ...opts, headers: { ...headers(user), ...opts.headers } }),
      }
    },
    async stop() {
      await Promise.all(instances.map((h) => h.stop('test')))
      proxy?.stop()
      rmSync(dir, { recursive: true, force: true })
      await pg?.drop()
    },
  }
  return server
}
