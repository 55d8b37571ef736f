// `chatapi healthcheck`: exit 0 when the local /health answers 200, else 1 (container HEALTHCHECK).

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { lines, runCli } from './run'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

test('a healthy server → exit 0 (wildcard host probes loopback)', async () => {
  for (const addr of [`127.0.0.1:${s.handle.port}`, `0.0.0.0:${s.handle.port}`, `:${s.handle.port}`]) {
    const r = await runCli(['healthcheck'], { LISTEN_ADDR: addr })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`:${s.handle.port}/health: 200 ok`)
  }
})

test('nothing listening → exit 1 with one line', async () => {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
  const port = probe.port
  probe.stop(true)
  const r = await runCli(['healthcheck'], { LISTEN_ADDR: `127.0.0.1:${port}` })
  expect(r.code).toBe(1)
  expect(lines(r.stderr)).toHaveLength(1)
  expect(r.stderr).toContain(`127.0.0.1:${port}/health`)
})

test('a 503 (degraded or draining) → exit 1', async () => {
  const fake = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: () => Response.json({ status: 'draining' }, { status: 503 }),
  })
  try {
    const r = await runCli(['healthcheck'], { LISTEN_ADDR: `127.0.0.1:${fake.port}` })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('503 draining')
  } finally {
    fake.stop(true)
  }
})
