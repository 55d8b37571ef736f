// A bad environment variable stops start-up with exit 2 and one stderr line naming the variable (SPEC §8).

import { expect, test } from 'bun:test'
import { lines, runCli } from './run'

const cases: [variable: string, value: string][] = [
  ['LISTEN_ADDR', 'nope'],
  ['LISTEN_ADDR', '127.0.0.1:99999'],
  ['LISTEN_ADDR', 'multi\nline'],
  ['SQLITE_SYNCHRONOUS', 'OFF'],
  ['DEFAULT_RATE_LIMIT', 'abc'],
  ['DEFAULT_RATE_LIMIT', '0'],
  ['LOG_LEVEL', 'verbose'],
  ['ALLOW_HTTP_WEBHOOKS', 'maybe'],
  ['MAX_BODY_BYTES', '10'],
  ['ACK_TIMEOUT_MS', '-5'],
  ['DATABASE_URL', 'postgres://['],
  ['REDIS_URL', 'redis://localhost:6379'],
]

for (const [variable, value] of cases) {
  test(`${variable}=${JSON.stringify(value)} → exit 2 naming ${variable}`, async () => {
    const r = await runCli(['serve'], { [variable]: value })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(lines(r.stderr)).toHaveLength(1)
    expect(r.stderr).toStartWith(`chatapi: ${variable}: `)
  })
}

test('the default command (no arguments) validates the environment too', async () => {
  const r = await runCli([], { SQLITE_SYNCHRONOUS: 'OFF' })
  expect(r.code).toBe(2)
  expect(r.stderr).toContain('SQLITE_SYNCHRONOUS')
})

test('migrate and tenant create validate the environment before touching the database', async () => {
  for (const args of [['migrate'], ['tenant', 'create', '--name', 'x'], ['healthcheck']]) {
    const r = await runCli(args, { DEFAULT_RATE_LIMIT: 'abc' })
    expect(r.code).toBe(2)
    expect(lines(r.stderr)).toEqual([expect.stringContaining('DEFAULT_RATE_LIMIT')])
  }
})
