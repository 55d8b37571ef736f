// `chatapi migrate`: prints applied versions as JSON, is idempotent, refuses a newer database.

import { afterAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lines, ROOT, runCli } from './run'

const dir = mkdtempSync(join(tmpdir(), 'chatapi-cli-migrate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const files = readdirSync(join(ROOT, 'migrations/sqlite')).filter((f) => f.endsWith('.sql')).sort()
const names = files.map((f) => f.replace(/\.sql$/, ''))

test('migrate applies every migration once, then nothing', async () => {
  const env = { DATABASE_URL: join(dir, 'nested', 'chatapi.db') }
  const first = await runCli(['migrate'], env)
  expect(first.stderr).toBe('')
  expect(first.code).toBe(0)
  const a = JSON.parse(first.stdout)
  expect(a.applied).toEqual(names)
  expect(a.versions.map((v: { name: string }) => v.name)).toEqual(names)

  const second = await runCli(['migrate'], env)
  expect(second.code).toBe(0)
  const b = JSON.parse(second.stdout)
  expect(b.applied).toEqual([])
  expect(b.versions).toEqual(a.versions)
})

test('a sqlite: URL is accepted', async () => {
  const r = await runCli(['migrate'], { DATABASE_URL: `sqlite:${join(dir, 'url.db')}` })
  expect(r.code).toBe(0)
  expect(JSON.parse(r.stdout).applied).toEqual(names)
})

test('a database newer than the binary is refused with one line, exit 1, and left alone', async () => {
  const path = join(dir, 'newer.db')
  expect((await runCli(['migrate'], { DATABASE_URL: path })).code).toBe(0)
  const db = new Database(path)
  db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future', 'x')")
  db.close()
  for (const args of [['migrate'], ['serve'], ['tenant', 'create', '--name', 'x']]) {
    const r = await runCli(args, { DATABASE_URL: path })
    expect(r.code).toBe(1)
    expect(lines(r.stderr)).toEqual([expect.stringContaining('newer than this binary')])
  }
  const check = new Database(path, { readonly: true })
  expect(check.query('SELECT count(*) AS n FROM tenants').get()).toEqual({ n: 0 })
  check.close()
})
