// The compiled binary for tests: dist/chatapi, rebuilt only when older than anything it is built from,
// so the test files that need it (binary, bench-cli) build it at most once per run.

import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = join(import.meta.dir, '..', '..')
export const DIST = join(ROOT, 'dist', 'chatapi')

/** Newest mtime of everything the binary is built from (`chatapi bench` bundles bench/ and, through pg-scale, test/support/storage.ts). */
function newestInput(): number {
  let newest = 0
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else newest = Math.max(newest, statSync(p).mtimeMs)
    }
  }
  for (const d of ['src', 'migrations', 'bench']) walk(join(ROOT, d))
  for (const f of ['build.ts', 'package.json', 'bun.lock', 'tsconfig.json', 'test/support/storage.ts'])
    newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs)
  return newest
}

/** Reuses dist/chatapi when it is newer than every input, else runs build.ts (a failed build throws, loudly). */
export function ensureBinary(): void {
  let fresh = false
  try {
    fresh = statSync(DIST).mtimeMs > newestInput()
  } catch {}
  if (fresh) return
  const b = Bun.spawnSync([process.execPath, join(ROOT, 'build.ts')], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  if (b.exitCode !== 0) throw new Error(`build.ts failed (${b.exitCode}):\n${b.stdout}\n${b.stderr}`)
}
