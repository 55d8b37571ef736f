// The Swagger UI at /swagger in headless Chromium: it renders every operation from the embedded
// assets, with no request leaving this machine. A screenshot goes to test-artifacts/ and must not be blank.

import { expect, test } from 'bun:test'
import { browserSuite, openPage } from '../support/browser'
import { hasChromium, pngStats, screenshot, SKIP_REASON } from './browser'

const suite = browserSuite()

test.skipIf(!hasChromium)(`/swagger lists the operations offline${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const s = suite.server
  const doc = (await (await fetch(`${s.url}/swagger/json`)).json()) as { paths: Record<string, Record<string, unknown>> }
  const expected = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
  expect(expected.length).toBeGreaterThan(20)

  const { context, page, refused, problems, requests: requested } = await openPage(suite.browser, `${s.url}/swagger`, { viewport: { width: 1280, height: 900 } })
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
