// spawnServer: ChatAPI as a real child process (bun src/index.ts, or a compiled binary), with the
// port read from its "listening" log line. For crash, signal and restart tests.

import type { Subprocess } from 'bun'
import { join } from 'node:path'

export interface ServerProcess {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  url: string
  wsUrl: string
  /** Every stdout line so far (JSON logs). */
  lines: string[]
  exited: Promise<number>
}

const ROOT = join(import.meta.dir, '..', '..')

export async function spawnServer(env: Record<string, string>, cmd: string[] = ['bun', join(ROOT, 'src/index.ts'), 'serve'], timeoutMs = 15_000): Promise<ServerProcess> {
  const proc = Bun.spawn(cmd, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LISTEN_ADDR: '127.0.0.1:0', LOG_LEVEL: 'info', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const lines: string[] = []
  let resolveUrl!: (u: string) => void
  const urlP = new Promise<string>((r) => (resolveUrl = r))
  ;(async () => {
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk)
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        lines.push(line)
        try {
          const rec = JSON.parse(line)
          if (rec.msg === 'listening') resolveUrl(rec.url)
        } catch {}
      }
    }
  })()
  const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`server did not start: ${lines.join('\n')}`)), timeoutMs))
  const exitedEarly = proc.exited.then(async (code) => {
    throw new Error(`server exited ${code} before listening: ${await new Response(proc.stderr).text()}`)
  })
  const url = (await Promise.race([urlP, timeout, exitedEarly])).replace(/\/$/, '')
  exitedEarly.catch(() => {})
  return { proc, url, wsUrl: url.replace(/^http/, 'ws') + '/ws', lines, exited: proc.exited }
}
