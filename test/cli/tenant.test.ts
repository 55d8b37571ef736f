// `chatapi tenant create --name`: prints the creation answer as JSON; the key works against the server.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestServer } from '../support/server'
import { runCli } from './run'

const dir = mkdtempSync(join(tmpdir(), 'chatapi-cli-tenant-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('tenant create prints the secrets once as JSON, and the API key authenticates', async () => {
  const path = join(dir, 'chatapi.db')
  const r = await runCli(['tenant', 'create', '--name', 'Acme Corp'], { DATABASE_URL: path })
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  const t = JSON.parse(r.stdout)
  // A copy: Bun 1.4.5's toMatchObject writes the asymmetric matchers back into the received object.
  expect({ ...t }).toMatchObject({
    tenant_id: expect.stringMatching(/^tnt_/),
    name: 'Acme Corp',
    api_key: expect.stringMatching(/^sk_/),
    webhook_secret: expect.any(String),
    user_token_secret: expect.any(String),
    created_at: expect.any(String),
  })

  const second = JSON.parse((await runCli(['tenant', 'create', '--name=Other'], { DATABASE_URL: path })).stdout)
  expect(second.tenant_id).not.toBe(t.tenant_id)
  expect(second.api_key).not.toBe(t.api_key)

  const s = await startTestServer({ DATABASE_URL: path })
  try {
    const rooms = await s.call('GET', '/v1/rooms', { headers: { 'x-api-key': t.api_key, 'x-user-id': 'alice' } })
    expect(rooms.status).toBe(200)
    const list = await s.admin('GET', '/v1/admin/tenants')
    expect(list.body.tenants.map((x: { name: string }) => x.name).sort()).toEqual(['Acme Corp', 'Other'])
    expect(JSON.stringify(list.body)).not.toContain(t.api_key)
  } finally {
    await s.handle.stop('test')
  }
})
