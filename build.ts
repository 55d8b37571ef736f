// Compiles the single-file binary dist/chatapi: src/index.ts plus every src/workers/*.worker.ts
// (a Worker file that is not an entrypoint still builds but fails at runtime), version injected.
// Workers must be referenced from a module in src/workers/ as new URL('./x.worker.ts', import.meta.url);
// test/binary.test.ts fails (workers restarting in /health) when one cannot be found.
// `chatapi bench` (bench/index.ts and bench/lib/*) is in the same bundle through src/index.ts's dynamic
// import: loaded only by `chatapi bench` and its load processes (`chatapi __bench-load`), never by
// `serve`. test/bench-cli.test.ts runs it from the binary.

import pkg from './package.json'

const root = import.meta.dir
const workers = Array.from(new Bun.Glob('src/workers/*.worker.ts').scanSync({ cwd: root })).sort()
const entrypoints = ['src/index.ts', ...workers].map((p) => `${root}/${p}`)
const outfile = process.env.CHATAPI_BUILD_OUTFILE ?? `${root}/dist/chatapi`

const started = performance.now()
let result: Bun.BuildOutput
try {
  result = await Bun.build({
    entrypoints,
    compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
    define: { CHATAPI_VERSION: JSON.stringify(pkg.version) },
    // Flat entry names: in the binary every module's import.meta.url is /$bunfs/root/chatapi, so
    // `new URL('./delivery.worker.ts', import.meta.url)` (written in src/workers/, right under bun run)
    // must find the worker at /$bunfs/root/delivery.worker.js, not under workers/. Verified: without
    // this the binary fails with ModuleNotFound "/$bunfs/root/delivery.worker.ts".
    naming: { entry: '[name].[ext]' },
    minify: true,
    sourcemap: 'linked',
  })
} catch (e) {
  // Bun.build throws an AggregateError on resolve/parse errors; print every one of them.
  const errors = e instanceof AggregateError ? e.errors : [e]
  for (const err of errors) console.error(err)
  console.error(`build failed (${entrypoints.length} entrypoints)`)
  process.exit(1)
}
for (const log of result.logs) console.error(log)
if (!result.success) {
  console.error('build failed')
  process.exit(1)
}

// The map is embedded in the binary (stack traces point at src/); the side file is not needed.
await Bun.file(`${outfile}.map`).delete().catch(() => {})

const size = Bun.file(outfile).size
console.log(
  `built ${outfile} v${pkg.version} (${(size / 1e6).toFixed(1)} MB, ${workers.length} worker entrypoint(s)) ` +
    `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
)
