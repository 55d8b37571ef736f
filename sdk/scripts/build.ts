// Builds the publishable package into sdk/dist (or --outdir DIR): one ESM bundle for browsers and
// Node.js (dist/index.js, with its source map) and self-contained declarations (dist/*.d.ts).
//
// The declarations cannot be tsc's plain output: sdk/src/types.ts derives the wire types from the
// server's TypeBox schemas and route modules (../src), which are not in the tarball. declarations.ts
// writes them out as plain TypeScript instead and proves them equal to the source types.

import { rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { emitDeclarations } from './declarations'

const sdkDir = resolve(import.meta.dir, '..')
const { values } = parseArgs({ args: Bun.argv.slice(2), options: { outdir: { type: 'string' } } })
const outDir = resolve(values.outdir ?? join(sdkDir, 'dist'))

const started = performance.now()
rmSync(outDir, { recursive: true, force: true })

const result = await Bun.build({
  entrypoints: [join(sdkDir, 'src/index.ts')],
  outdir: outDir,
  // browser: no Bun or Node built-ins in the bundle; the same file runs on Node.js >= 20 and Bun.
  target: 'browser',
  format: 'esm',
  sourcemap: 'linked',
})
for (const log of result.logs) console.error(log)
if (!result.success) {
  console.error('sdk build failed (JavaScript)')
  process.exit(1)
}

try {
  const dts = await emitDeclarations({ sdkDir, outDir })
  console.log(
    `built ${outDir}: index.js and ${dts.files.length} declaration files (${dts.flattened} wire types written out) ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
} catch (e) {
  console.error(`sdk build failed (declarations): ${(e as Error).message}`)
  process.exit(1)
}
