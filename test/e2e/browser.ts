// Headless Chromium for the end-to-end suites: Debian's /usr/bin/chromium driven by playwright-core
// (no downloaded browser), a network guard that refuses anything but this machine, and a check that
// a screenshot is not blank.

import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
import type { Browser, BrowserContext, Page } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHATAPI_CHROMIUM ?? '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM_PATH)
export const SKIP_REASON = `skipped: ${CHROMIUM_PATH} not found (install Debian's browser: apt-get install -y chromium)`
if (!hasChromium) console.warn(`[e2e] ${SKIP_REASON}`)

export const ARTIFACTS = join(import.meta.dir, '..', '..', 'test-artifacts')

/** Flags for a closed network and a root user; launch() also gives each run a fresh temporary profile (user-data-dir). */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS, timeout: 30_000 })
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Lets a context reach this machine only: every other request is aborted and recorded (the pages
 * must work with no network: no CDN, no fonts, no analytics).
 */
export async function guardNetwork(context: BrowserContext): Promise<string[]> {
  const refused: string[] = []
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOCAL_HOSTS.has(url.hostname)) return route.continue()
    refused.push(url.href)
    return route.abort('blockedbyclient')
  })
  return refused
}

/** Collects console errors and uncaught page errors, for the assertion messages. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  return problems
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, name)
  await page.screenshot({ path, fullPage: false })
  return path
}

export interface PngStats {
  bytes: number
  width: number
  height: number
  /** Distinct colours among sampled pixels (a blank page has one). */
  colours: number
  /** Share of sampled pixels that differ from the most common colour. */
  nonBackground: number
}

/** Decodes an 8-bit RGB/RGBA PNG (what Chromium writes) and samples its pixels. */
export async function pngStats(path: string): Promise<PngStats> {
  const buf = Buffer.from(await Bun.file(path).arrayBuffer())
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error(`${path} is not a PNG`)
  let off = 8
  let width = 0
  let height = 0
  let colourType = 0
  const idat: Buffer[] = []
  while (off < buf.length) {
    const len = buf.readUInt32BE(off)
    const type = buf.toString('latin1', off + 4, off + 8)
    const data = buf.subarray(off + 8, off + 8 + len)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      if (data[8] !== 8) throw new Error(`bit depth ${data[8]} not supported`)
      colourType = data[9]
      if (data[12] !== 0) throw new Error('interlaced PNG not supported')
    } else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') break
    off += 12 + len
  }
  const bpp = colourType === 6 ? 4 : colourType === 2 ? 3 : 0
  if (!bpp) throw new Error(`PNG colour type ${colourType} not supported`)
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * bpp
  const pixels = Buffer.alloc(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const out = pixels.subarray(y * stride, (y + 1) * stride)
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride)
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[x - bpp] : 0
      const b = prev[x]
      const c = x >= bpp ? prev[x - bpp] : 0
      let v = line[x]
      if (filter === 1) v += a
      else if (filter === 2) v += b
      else if (filter === 3) v += (a + b) >> 1
      else if (filter === 4) {
        const p = a + b - c
        const pa = Math.abs(p - a)
        const pb = Math.abs(p - b)
        const pc = Math.abs(p - c)
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c
      }
      out[x] = v & 0xff
    }
  }
  const counts = new Map<number, number>()
  let samples = 0
  for (let y = 0; y < height; y += 4)
    for (let x = 0; x < width; x += 4) {
      const i = y * stride + x * bpp
      const key = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]
      counts.set(key, (counts.get(key) ?? 0) + 1)
      samples++
    }
  const top = Math.max(...counts.values())
  return { bytes: buf.length, width, height, colours: counts.size, nonBackground: 1 - top / samples }
}
