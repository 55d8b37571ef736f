// loadConfig: defaults match SPEC §8, values parse, and every bad value names its variable.

import { expect, test } from 'bun:test'
import { CONFIG_DOCS, ConfigError, loadConfig } from '../../src/config'

test('an empty environment gives the SPEC §8 defaults', () => {
  const c = loadConfig({}, '1.2.3')
  expect(c).toMatchObject({
    LISTEN_ADDR: '0.0.0.0:8080',
    host: '0.0.0.0',
    port: 8080,
    DATABASE_URL: './data/chatapi.db',
    databasePath: './data/chatapi.db',
    SQLITE_SYNCHRONOUS: 'FULL',
    REDIS_URL: '',
    MASTER_API_KEY: '',
    LOG_LEVEL: 'info',
    CORS_ORIGINS: '',
    DEFAULT_RATE_LIMIT: 100,
    ACK_TIMEOUT_MS: 30000,
    RETRY_BASE_MS: 1000,
    RETRY_MAX_ATTEMPTS: 5,
    PRESENCE_GRACE_MS: 5000,
    SHUTDOWN_DRAIN_TIMEOUT_MS: 10000,
    BACKUP_DIR: './data/backups',
    MAX_BODY_BYTES: 65536,
    MAX_WS_FRAME_BYTES: 65536,
    MAX_ROOM_MEMBERS: 10000,
    SYNC_MAX_PER_ROOM: 500,
    MAX_NOTIFICATION_BYTES: 8192,
    WS_MSG_RATE: 50,
    WS_PING_INTERVAL_MS: 30000,
    WS_IDLE_TIMEOUT_MS: 60000,
    WS_BACKPRESSURE_LIMIT: 1048576,
    FANOUT_RECEIPTS_MAX_MEMBERS: 100,
    NOTIFICATION_TTL_MS: 604800000,
    CIRCUIT_FAILURES: 5,
    CIRCUIT_OPEN_MS: 60000,
    WAL_CHECKPOINT_BYTES: 67108864,
    WAL_CHECKPOINT_INTERVAL_MS: 30000,
    ALLOW_HTTP_WEBHOOKS: false,
    DEMO_ENABLED: false,
    version: '1.2.3',
  })
})

test('CONFIG_DOCS documents every variable loadConfig reads, each with a doc line', () => {
  const c = loadConfig({}) as unknown as Record<string, unknown>
  const names = CONFIG_DOCS.map((d) => d.name)
  expect(names.length).toBe(new Set(names).size)
  for (const d of CONFIG_DOCS) {
    expect(d.name).toMatch(/^[A-Z][A-Z0-9_]+$/)
    expect(c).toHaveProperty(d.name)
    expect(d.doc.length).toBeGreaterThan(0)
  }
  const upper = Object.keys(c).filter((k) => /^[A-Z][A-Z0-9_]+$/.test(k))
  expect(upper.sort()).toEqual([...names].sort())
})

test('values parse', () => {
  const c = loadConfig({
    LISTEN_ADDR: '127.0.0.1:0',
    DATABASE_URL: 'sqlite:///var/lib/chatapi/db.sqlite',
    SQLITE_SYNCHRONOUS: 'NORMAL',
    DEFAULT_RATE_LIMIT: ' 250 ',
    ALLOW_HTTP_WEBHOOKS: 'true',
    DEMO_ENABLED: '1',
    LOG_LEVEL: 'debug',
  })
  expect(c).toMatchObject({ host: '127.0.0.1', port: 0, databasePath: '/var/lib/chatapi/db.sqlite' })
  expect(c).toMatchObject({ SQLITE_SYNCHRONOUS: 'NORMAL', DEFAULT_RATE_LIMIT: 250, ALLOW_HTTP_WEBHOOKS: true, DEMO_ENABLED: true })
  expect(loadConfig({ LISTEN_ADDR: ':9000' })).toMatchObject({ host: '0.0.0.0', port: 9000 })
  expect(loadConfig({ LISTEN_ADDR: '[::1]:9000' })).toMatchObject({ host: '::1', port: 9000 })
  expect(loadConfig({ DATABASE_URL: 'sqlite:rel.db' }).databasePath).toBe('rel.db')
  expect(loadConfig({ DATABASE_URL: ':memory:' }).databasePath).toBe(':memory:')
  expect(loadConfig({ ALLOW_HTTP_WEBHOOKS: '0', DEMO_ENABLED: 'false' })).toMatchObject({
    ALLOW_HTTP_WEBHOOKS: false,
    DEMO_ENABLED: false,
  })
})

const bad: [string, string][] = [
  ['LISTEN_ADDR', 'nope'],
  ['LISTEN_ADDR', '1.2.3.4:65536'],
  ['LISTEN_ADDR', 'host:'],
  ['DATABASE_URL', ''],
  ['DATABASE_URL', 'postgres://['],
  ['SQLITE_SYNCHRONOUS', 'OFF'],
  ['SQLITE_SYNCHRONOUS', 'full'],
  ['LOG_LEVEL', 'trace'],
  ['DEFAULT_RATE_LIMIT', 'abc'],
  ['DEFAULT_RATE_LIMIT', '1.5'],
  ['DEFAULT_RATE_LIMIT', '0'],
  ['DEFAULT_RATE_LIMIT', '1000001'],
  ['RETRY_MAX_ATTEMPTS', '101'],
  ['MAX_BODY_BYTES', '1023'],
  ['MAX_ROOM_MEMBERS', '1'],
  ['WS_PING_INTERVAL_MS', '999'],
  ['PRESENCE_GRACE_MS', '-1'],
  ['ALLOW_HTTP_WEBHOOKS', 'yes'],
  ['DEMO_ENABLED', '2'],
  ['REDIS_URL', 'redis://localhost'], // without a postgres:// DATABASE_URL
]

for (const [name, value] of bad) {
  test(`${name}=${JSON.stringify(value)} is a ConfigError naming ${name}`, () => {
    let err: unknown
    try {
      loadConfig({ [name]: value })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).variable).toBe(name)
    expect((err as ConfigError).message).toStartWith(`${name}: `)
  })
}

test('unknown variables are ignored', () => {
  expect(() => loadConfig({ CHATAPI_SOMETHING: 'x', PATH: '/bin' })).not.toThrow()
})

test('postgres:// selects shared storage; REDIS_URL needs it and a redis:// scheme', () => {
  const c = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/chat', REDIS_URL: 'redis://127.0.0.1:6379' })
  expect(c.postgresUrl).toBe('postgres://u@127.0.0.1:5432/chat')
  expect(c.databasePath).toBe('')
  expect(loadConfig({ DATABASE_URL: 'postgresql://db/chat' }).postgresUrl).toBe('postgresql://db/chat')
  expect(loadConfig({ DATABASE_URL: './x.db' }).postgresUrl).toBeNull()
  expect(() => loadConfig({ DATABASE_URL: 'postgres://db/chat', REDIS_URL: 'http://x' })).toThrow(ConfigError)
})

test('uploads (SPEC §12): defaults, S3 needs a bucket, endpoints and PUBLIC_URL are URLs', () => {
  expect(loadConfig({})).toMatchObject({
    MAX_UPLOAD_BYTES: 26214400,
    UPLOAD_STORAGE: 'local',
    UPLOAD_DIR: './data/uploads',
    UPLOAD_URL_TTL_S: 3600,
    UPLOAD_ORPHAN_TTL_MS: 86400000,
    PUBLIC_URL: '',
    S3_REGION: 'us-east-1',
  })
  expect(() => loadConfig({ UPLOAD_STORAGE: 's3' })).toThrow(/^S3_BUCKET: /)
  expect(() => loadConfig({ UPLOAD_STORAGE: 's3', S3_BUCKET: 'b', S3_ENDPOINT: 'minio:9000' })).toThrow(/^S3_ENDPOINT: /)
  expect(loadConfig({ UPLOAD_STORAGE: 's3', S3_BUCKET: 'b', S3_ENDPOINT: 'http://127.0.0.1:9000' }).S3_ENDPOINT).toBe('http://127.0.0.1:9000')
  expect(() => loadConfig({ UPLOAD_STORAGE: 'gcs' })).toThrow(/^UPLOAD_STORAGE: /)
  expect(() => loadConfig({ PUBLIC_URL: 'chat.example.com' })).toThrow(/^PUBLIC_URL: /)
  expect(() => loadConfig({ PUBLIC_URL: 'https://chat.example.com/api' })).toThrow(/^PUBLIC_URL: /)
  expect(loadConfig({ PUBLIC_URL: 'https://chat.example.com' }).PUBLIC_URL).toBe('https://chat.example.com')
  expect(() => loadConfig({ MAX_UPLOAD_BYTES: '0' })).toThrow(/^MAX_UPLOAD_BYTES: /)
  expect(() => loadConfig({ UPLOAD_ORPHAN_TTL_MS: '10' })).toThrow(/^UPLOAD_ORPHAN_TTL_MS: /)
})
