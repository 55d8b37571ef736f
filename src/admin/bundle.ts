// Bundles the admin console's script (src/admin/page/main.ts with uPlot) for the browser. Imported
// `with { type: 'macro' }` by ./script.ts, so it runs at transpile time: under `bun run` when /admin
// is first requested, and inside `bun build --compile`, which inlines the result into the binary.
// Bun.build cannot be called from a macro during bundling, hence the CLI in a child process (as
// src/demo/bundle.ts).

export function buildAdminScript(): string {
  const entry = `${import.meta.dir}/page/main.ts`
  const r = Bun.spawnSync([process.execPath, 'build', entry, '--target=browser', '--format=esm', '--minify'], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (r.exitCode !== 0) throw new Error(`admin bundle failed (exit ${r.exitCode}): ${r.stderr.toString()}`)
  return r.stdout.toString()
}
