// Safe defaults (issue 13 item 12): a MASTER_API_KEY shorter than 32 characters is accepted but
// warned about at start (one warn line naming the length, never the key); a long key gives no warning.

import { afterEach, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/log'
import { startServer, type ServerHandle } from '../../src/server'

let running: { handle: ServerHandle; dir: string } | null = null
afterEach(async () => {
  await running?.handle.stop('test')
  if (running) rmSync(running.dir, { recursive: true, force: true })
  running = null
})

/** Starts a real server with this master key and returns the warn-level lines it logged at start. */
async function startWith(masterKey: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-mk-'))
  const lines: string[] = []
  const config = loadConfig({ LISTEN_ADDR: '127.0.0.1:0', DATABASE_URL: join(dir, 'c.db'), ...(masterKey !== undefined && { MASTER_API_KEY: masterKey }) })
  const handle = await startServer(config, { log: createLogger('info', {}, (l) => lines.push(l)) })
  running = { handle, dir }
  const records = lines.map((l) => JSON.parse(l) as { level: string; msg: string; [k: string]: unknown })
  return { warnings: records.filter((r) => r.level === 'warn'), lines, port: handle.port }
}

const aboutTheKey = (w: { msg: string }) => w.msg.includes('MASTER_API_KEY')

test.each([
  ['change-me', 9],
  ['a'.repeat(31), 31],
])('MASTER_API_KEY %p (%d characters) → one warning at start, without the key', async (key, length) => {
  const { warnings, lines, port } = await startWith(key)
  const mine = warnings.filter(aboutTheKey)
  expect(mine).toHaveLength(1)
  expect(mine[0]).toMatchObject({ level: 'warn', length })
  expect(lines.join('\n')).not.toContain(key)
  // Still accepted: a warning, not a refusal.
  const r = await fetch(`http://127.0.0.1:${port}/v1/admin/tenants`, { headers: { 'x-master-key': key } })
  expect(r.status).toBe(200)
})

test.each([32, 48, 64])('a MASTER_API_KEY of %d characters → no warning about it', async (n) => {
  const { warnings } = await startWith('k'.repeat(n))
  expect(warnings.filter(aboutTheKey)).toEqual([])
})

test('an unset MASTER_API_KEY still warns that the admin API is off (not about length)', async () => {
  const { warnings } = await startWith(undefined)
  expect(warnings.filter(aboutTheKey).map((w) => w.msg)).toEqual([expect.stringContaining('not set')])
})
