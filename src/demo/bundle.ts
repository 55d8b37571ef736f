// Bundles the demo page's script (src/demo/page/main.ts with the SDK) for the browser. Imported
// `with { type: 'macro' }` by ./assets.ts, so it runs at transpile time: under `bun run` when the
// demo is first requested, and inside `bun build --compile`, which inlines the result into the binary
// (no source files needed at run time). Bun.build cannot be called from a macro during bundling,
// hence the CLI in a child process.

export function buildDemoScript(): string {
  const entry = `${import.meta.dir}/page/main.ts`
  const r = Bun.spawnSync([process.execPath, 'build', entry, '--target=browser', '--format=esm', '--minify'], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (r.exitCode !== 0) throw new Error(`demo bundle failed (exit ${r.exitCode}): ${r.stderr.toString()}`)
  return r.stdout.toString()
}
