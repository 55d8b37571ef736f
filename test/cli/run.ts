// runCli(): spawns `bun src/index.ts …` with a clean environment and collects exit code and output.

import { join } from 'node:path'

export const ROOT = join(import.meta.dir, '..', '..')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Only PATH and HOME are inherited, so a developer's own LISTEN_ADDR etc. cannot leak in. The
 * defaults keep an accidental `serve` harmless (in-memory DB, ephemeral loopback port) and the
 * timeout kills it, so a case that wrongly starts the server fails instead of hanging.
 */
export async function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 10_000): Promise<CliResult> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'src/index.ts'), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      LISTEN_ADDR: '127.0.0.1:0',
      DATABASE_URL: ':memory:',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  })
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { code: proc.signalCode ? null : code, stdout, stderr }
}

/** stderr without its trailing newline, split into lines. */
export const lines = (s: string) => s.replace(/\n$/, '').split('\n')
