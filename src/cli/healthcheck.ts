// `chatapi healthcheck`: GET the local /health for a container HEALTHCHECK (no curl in the image).

import type { Config } from '../config'

const DEFAULT_PORT = 8080

/** The URL to probe: loopback unless LISTEN_ADDR names one specific address; port 0 means the default. */
export function healthUrl(config: Pick<Config, 'host' | 'port'>): string {
  const wildcard = config.host === '' || config.host === '0.0.0.0' || config.host === '::'
  const host = wildcard ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host
  return `http://${host}:${config.port === 0 ? DEFAULT_PORT : config.port}/health`
}

/** Exit 0 when /health answers 200 within the timeout, else 1; one line on stdout/stderr either way. */
export async function healthcheck(
  config: Pick<Config, 'host' | 'port'>,
  out: (line: string) => void,
  err: (line: string) => void,
  timeoutMs = 5000,
): Promise<number> {
  const url = healthUrl(config)
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' })
    const body = (await res.json().catch(() => null)) as { status?: unknown } | null
    const status = typeof body?.status === 'string' ? body.status : 'unknown'
    if (res.status === 200) return out(`${url}: ${res.status} ${status}`), 0
    return err(`${url}: ${res.status} ${status}`), 1
  } catch (e) {
    return err(`${url}: ${e instanceof Error ? e.message : String(e)}`), 1
  }
}
