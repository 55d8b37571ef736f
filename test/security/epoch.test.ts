// SPEC §6 epoch: a new one after an unclean stop under NORMAL, the same after a clean stop or under FULL.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnServer } from '../support/process'

const dir = mkdtempSync(join(tmpdir(), 'chatapi-epoch-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function epochOf(url: string): Promise<string> {
  return ((await (await fetch(url + '/health')).json()) as { epoch: string }).epoch
}

async function run(db: string, mode: 'FULL' | 'NORMAL', stop: 'SIGTERM' | 'SIGKILL'): Promise<string> {
  const s = await spawnServer({ DATABASE_URL: db, SQLITE_SYNCHRONOUS: mode, MASTER_API_KEY: 'k' })
  const epoch = await epochOf(s.url)
  s.proc.kill(stop)
  const code = await s.exited
  if (stop === 'SIGTERM') expect(code).toBe(0)
  return epoch
}

test('NORMAL: kill -9 gives a new epoch; a clean stop keeps it', async () => {
  const db = join(dir, 'normal.db')
  const first = await run(db, 'NORMAL', 'SIGTERM')
  const afterClean = await run(db, 'NORMAL', 'SIGKILL')
  expect(afterClean).toBe(first)
  const afterKill = await run(db, 'NORMAL', 'SIGTERM')
  expect(afterKill).not.toBe(first)
})

test('FULL: kill -9 keeps the epoch', async () => {
  const db = join(dir, 'full.db')
  const first = await run(db, 'FULL', 'SIGKILL')
  const second = await run(db, 'FULL', 'SIGKILL')
  expect(second).toBe(first)
})
