// The Swagger UI at /swagger in headless Chromium: it renders every operation from the embedded
// assets, with no request leaving this machine. A screenshot goes to test-artifacts/ and must not be blank.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server'
import { guardNetwork, hasChromium, launch, pageProblems, pngStats, screenshot, SKIP_REASON } from './browser'

let s: TestServer
let browser: Browser | null = null

beforeAll(async () => {
  if (!hasChromium) return
  s = await startTestServer()
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await s?.stop()
})

test.skipIf(!hasChromium)(`/swagger lists the operations offline${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const doc = (await (await fetch(`${s.url}/swagger/json`)).json()) as { paths: Record<string, Record<string, unknown>> }
  const expected = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
  expect(expected.length).toBeGreaterThan(20)

  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } })
  const refused = await guardNetwork(context)
  const page = await context.newPage()
  const problems = pageProblems(page)
  const requested: string[] = []
  page.on('request', (r) => requested.push(r.url()))
  await page.goto(`${s.url}/swagger`)
  await page.waitForSelector('.opblock', { timeout: 20_000 })
  await page.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.opblock').length >= n, expected.length)

  const shown = await page.locator('.opblock .opblock-summary').evaluateAll((els) =>
    els.map((e) => {
      const q = (sel: string) => (e as unknown as { querySelector(s: string): { textContent: string | null } | null }).querySelector(sel)?.textContent?.trim() ?? ''
      return `${q('.opblock-summary-method')} ${q('.opblock-summary-path').replace(/\u200b/g, '')}`
    }),
  )
  const norm = (op: string) => op.replace(/\{([^}]+)\}/g, '{$1}').replace(/:(\w+)/g, '{$1}')
  expect(new Set(shown.map(norm))).toEqual(new Set(expected.map(norm)))
  expect(shown).toContain('POST /v1/rooms')

  const shot = await screenshot(page, 'swagger.png')
  const st = await pngStats(shot)
  expect(st.bytes).toBeGreaterThan(15_000)
  expect(st.colours).toBeGreaterThan(20)
  expect(st.nonBackground).toBeGreaterThan(0.05)

  // Calibration: the same check calls a blank page blank.
  const blank = await context.newPage()
  await blank.setViewportSize({ width: 1280, height: 900 })
  await blank.setContent('<html><body style="margin:0;background:#fff"></body></html>')
  const blankStats = await pngStats(await screenshot(blank, 'blank-calibration.png'))
  expect(blankStats.colours).toBe(1)
  expect(blankStats.nonBackground).toBe(0)

  expect(refused).toEqual([])
  expect(requested.every((u) => u.startsWith(s.url) || u.startsWith('data:'))).toBe(true)
  expect(problems).toEqual([])
  await context.close()
}, 60_000)
