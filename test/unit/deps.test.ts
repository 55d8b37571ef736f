// The import rules of .dependency-cruiser.cjs hold for src/, bench/ and sdk/src/ (layers point
// inward, no cycles, no test code in what ships), and the rules do catch a violation.

import { describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const ROOT = join(import.meta.dir, '..', '..')
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs')

/** Runs dependency-cruiser (offline, under Bun) in `cwd`; returns its exit code and report. */
async function cruise(cwd: string, paths: string[]) {
  const p = Bun.spawn([process.execPath, CLI, '--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...paths], {
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { code, report: out + err }
}

describe('import rules', () => {
  test('the code base has no forbidden import and no cycle', async () => {
    const r = await cruise(ROOT, ['src', 'bench', 'sdk/src'])
    if (r.code !== 0) console.error(r.report)
    expect(r.report).toContain('no dependency violations found')
    expect(r.code).toBe(0)
  })

  test('a cycle, a layer crossing and test code in the bench are each reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatapi-deps-'))
    try {
      copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'))
      const files: Record<string, string> = {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'Preserve', moduleResolution: 'bundler' } }),
        'src/db/rows.ts': "import type { Svc } from '../services/svc'\nexport type Row = { svc?: Svc }\n",
        'src/services/svc.ts': "import type { Row } from '../db/rows'\nexport type Svc = { row?: Row }\n",
        'src/services/a.ts': "import { b } from './b'\nexport const a = () => b\n",
        'src/services/b.ts': "import { a } from './a'\nexport const b = () => a\n",
        'src/ws/x.ts': "import { route } from '../http/route'\nexport const x = route\n",
        'src/http/route.ts': 'export const route = 1\n',
        'bench/lib/y.ts': "import { helper } from '../../test/support/helper'\nexport const y = helper\n",
        'test/support/helper.ts': 'export const helper = 1\n',
      }
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true })
        writeFileSync(join(dir, path), text)
      }
      const r = await cruise(dir, ['src', 'bench'])
      expect(r.code).not.toBe(0)
      expect(r.report).toContain('db-below-services: src/db/rows.ts → src/services/svc.ts')
      expect(r.report).toMatch(/no-circular: src\/services\/(a|b)\.ts → /)
      expect(r.report).toContain('ws-through-services: src/ws/x.ts → src/http/route.ts')
      expect(r.report).toContain('no-test-code-shipped: bench/lib/y.ts → test/support/helper.ts')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
