// Every environment variable of SPEC §8, declared once with its default and doc; loadConfig is pure.

import type { LogLevel } from './log'

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`)
  }
}

type Parser<T> = (raw: string, name: string) => T

const int = (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> => (raw, name) => {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected an integer, got "${raw}"`)
  const n = Number(raw)
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`)
  return n
}
const bool: Parser<boolean> = (raw, name) => {
  const v = raw.trim().toLowerCase()
  if (v === '1' || v === 'true') return true
  if (v === '0' || v === 'false' || v === '') return false
  throw new ConfigError(name, `expected 1/true or 0/false, got "${raw}"`)
}
const oneOf = <T extends string>(...values: T[]): Parser<T> => (raw, name) => {
  const v = raw.trim() as T
  if (!values.includes(v)) throw new ConfigError(name, `expected one of ${values.join(', ')}, got "${raw}"`)
  return v
}
const text: Parser<string> = (raw) => raw

/** The SPEC §8 table: name → [parser, default, doc]. The doc strings feed the README table. */
const VARS = {
  LISTEN_ADDR: [text, '0.0.0.0:8080', 'host:port to listen on; port 0 picks a free one'],
  DATABASE_URL: [text, './data/chatapi.db', 'SQLite file path, sqlite: URL or :memory:, or postgres://… for shared storage'],
  SQLITE_SYNCHRONOUS: [oneOf('FULL', 'NORMAL'), 'FULL', 'FULL (acknowledged = on disk) or NORMAL'],
  REDIS_URL: [text, '', 'multi-instance mode: fan-out, presence and rate limits across instances (needs a postgres:// DATABASE_URL)'],
  MASTER_API_KEY: [text, '', 'admin API key; unset disables the admin API'],
  LOG_LEVEL: [oneOf<LogLevel>('debug', 'info', 'warn', 'error'), 'info', 'debug, info, warn or error'],
  CORS_ORIGINS: [text, '', 'comma-separated allowed origins (* allowed); unset sends no CORS headers'],
  DEFAULT_RATE_LIMIT: [int(1, 1_000_000), '100', 'requests per second per tenant (burst 2x)'],
  ACK_TIMEOUT_MS: [int(1), '30000', 'redelivery: how long an ack may lag'],
  RETRY_BASE_MS: [int(1), '1000', 'retry backoff base'],
  RETRY_MAX_ATTEMPTS: [int(1, 100), '5', 'retries before a dead letter'],
  PRESENCE_GRACE_MS: [int(0), '5000', 'offline is announced after this long without a connection'],
  SHUTDOWN_DRAIN_TIMEOUT_MS: [int(0), '10000', 'graceful shutdown budget'],
  BACKUP_DIR: [text, './data/backups', 'where backups are written'],
  MAX_BODY_BYTES: [int(1024, 64 * 1024 * 1024), '65536', 'request body limit (413)'],
  MAX_WS_FRAME_BYTES: [int(1024, 64 * 1024 * 1024), '65536', 'WebSocket frame limit (close 1009)'],
  MAX_ROOM_MEMBERS: [int(2, 1_000_000), '10000', 'members per room'],
  SYNC_MAX_PER_ROOM: [int(1, 100_000), '500', 'messages streamed per room on sync'],
  MAX_NOTIFICATION_BYTES: [int(64, 1024 * 1024), '8192', 'notification payload limit'],
  WS_MSG_RATE: [int(1, 1_000_000), '50', 'frames per second per connection (burst 2x)'],
  WS_PING_INTERVAL_MS: [int(1000), '30000', 'server ping interval'],
  WS_IDLE_TIMEOUT_MS: [int(1000), '60000', 'close a connection silent this long'],
  WS_BACKPRESSURE_LIMIT: [int(1024), '1048576', 'bytes buffered for one socket before it is disconnected'],
  WS_MAX_CONNECTIONS_PER_USER: [int(1, 1_000_000), '20', 'WebSocket connections one user may hold on one instance; more get 429 before the upgrade'],
  WS_MAX_CONNECTIONS_PER_TENANT: [int(1, 100_000_000), '10000', 'default of the tenant config max_connections (live WebSocket connections per tenant; more get 429)'],
  FANOUT_RECEIPTS_MAX_MEMBERS: [int(0), '100', 'larger rooms get no presence/read-receipt fan-out'],
  NOTIFICATION_TTL_MS: [int(1000), '604800000', 'pending notifications kept for offline users'],
  CIRCUIT_FAILURES: [int(1), '5', 'webhook circuit breaker: failures in a row'],
  CIRCUIT_OPEN_MS: [int(1), '60000', 'webhook circuit breaker: open time'],
  WAL_CHECKPOINT_BYTES: [int(1024), '67108864', 'WAL size that triggers a TRUNCATE checkpoint'],
  WAL_CHECKPOINT_INTERVAL_MS: [int(100), '30000', 'PASSIVE checkpoint interval'],
  GROUP_COMMIT_MAX_BATCH: [int(1, 100_000), '500', 'most sends in one group-commit transaction; 1 = a transaction per message (bench baseline)'],
  HISTORY_CACHE_MB: [int(0, 65_536), '32', 'memory for history pages kept encoded (per room, checked against the room on every read); 0 = off'],
  SEARCH_ENABLED: [bool, 'true', 'full-text search (GET /v1/search); false keeps no index (on SQLite no search worker runs) and searches answer 403'],
  ALLOW_HTTP_WEBHOOKS: [bool, '', 'allow http and private-address webhook endpoints (local testing)'],
  DEMO_ENABLED: [bool, '', 'serve the demo page at /demo'],
  MAX_UPLOAD_BYTES: [int(1, 5 * 1024 * 1024 * 1024), '26214400', 'largest upload in bytes (413); a tenant max_upload_bytes may lower it'],
  UPLOAD_STORAGE: [oneOf('local', 's3'), 'local', 'where uploaded files live: local (UPLOAD_DIR) or s3 (S3_* below)'],
  UPLOAD_DIR: [text, './data/uploads', 'directory of uploaded files with UPLOAD_STORAGE=local (shared by every instance on PostgreSQL)'],
  UPLOAD_URL_TTL_S: [int(1, 7 * 24 * 3600), '3600', 'lifetime of a signed download URL (GET /v1/uploads/{id}/url)'],
  UPLOAD_ORPHAN_TTL_MS: [int(1000), '86400000', 'an upload no message lists after this long is deleted'],
  PUBLIC_URL: [text, '', 'base URL of signed download URLs (e.g. https://chat.example.com behind a proxy); unset: the request\'s own origin'],
  S3_ENDPOINT: [text, '', 'S3-compatible endpoint URL (UPLOAD_STORAGE=s3); unset: AWS for S3_REGION'],
  S3_BUCKET: [text, '', 'bucket of uploaded files (required with UPLOAD_STORAGE=s3)'],
  S3_REGION: [text, 'us-east-1', 'region used to sign S3 requests'],
  S3_ACCESS_KEY_ID: [text, '', 'S3 access key id'],
  S3_SECRET_ACCESS_KEY: [text, '', 'S3 secret access key'],
} as const satisfies Record<string, readonly [Parser<unknown>, string, string]>

type VarName = keyof typeof VARS
type Parsed = { [K in VarName]: ReturnType<(typeof VARS)[K][0]> }

export interface Config extends Parsed {
  host: string
  port: number
  /** Path for bun:sqlite (":memory:" or a file path); empty when postgresUrl is set. */
  databasePath: string
  /** Set when DATABASE_URL is postgres://… (shared storage, SPEC §9). */
  postgresUrl: string | null
  version: string
}

export const CONFIG_DOCS = Object.entries(VARS).map(([name, [, def, doc]]) => ({ name, default: def, doc }))

function parseListen(raw: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(raw.trim())
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) throw new ConfigError('LISTEN_ADDR', `expected host:port, got "${raw}"`)
  return { host: m[1] === '' ? '0.0.0.0' : m[1].replace(/^\[|\]$/g, ''), port }
}

function parseDatabase(raw: string): { databasePath: string; postgresUrl: string | null } {
  const v = raw.trim()
  if (v === '') throw new ConfigError('DATABASE_URL', 'must not be empty')
  if (/^postgres(ql)?:\/\//.test(v)) {
    try {
      new URL(v)
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL')
    }
    return { databasePath: '', postgresUrl: v }
  }
  if (v.startsWith('sqlite://')) return { databasePath: v.slice('sqlite://'.length), postgresUrl: null }
  if (v.startsWith('sqlite:')) return { databasePath: v.slice('sqlite:'.length), postgresUrl: null }
  return { databasePath: v, postgresUrl: null }
}

/** Parses the environment into a typed Config; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>, version = '0.0.0-dev'): Config {
  const out: Record<string, unknown> = {}
  for (const [name, [parse, def]] of Object.entries(VARS)) {
    const raw = env[name]
    out[name] = (parse as Parser<unknown>)(raw === undefined ? def : raw, name)
  }
  const parsed = out as Parsed
  const db = parseDatabase(parsed.DATABASE_URL)
  if (parsed.REDIS_URL) {
    if (!db.postgresUrl) throw new ConfigError('REDIS_URL', 'requires a postgres:// DATABASE_URL')
    if (!/^rediss?:\/\//.test(parsed.REDIS_URL)) throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL')
  }
  if (parsed.UPLOAD_STORAGE === 's3') {
    if (!parsed.S3_BUCKET) throw new ConfigError('S3_BUCKET', 'is required with UPLOAD_STORAGE=s3')
    if (parsed.S3_ENDPOINT && !/^https?:\/\/[^/]/.test(parsed.S3_ENDPOINT)) throw new ConfigError('S3_ENDPOINT', 'must be an http:// or https:// URL')
  } else if (!parsed.UPLOAD_DIR.trim()) throw new ConfigError('UPLOAD_DIR', 'must not be empty')
  if (parsed.PUBLIC_URL && !/^https?:\/\/[^/]+\/?$/.test(parsed.PUBLIC_URL)) throw new ConfigError('PUBLIC_URL', 'must be an http(s) origin such as https://chat.example.com')
  return { ...parsed, ...parseListen(parsed.LISTEN_ADDR), ...db, version }
}
