// JSON-lines logger on stdout with levels, child context and secret redaction.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** Keys whose values never reach a log line (SPEC §2). */
const SECRET_KEYS = /^(api_?key|x-api-key|x-master-key|master_?key|authorization|token|secret|webhook_secret|user_token_secret|password)$/i

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
}

/** Credentials inside free text: query parameters, Bearer values, API keys and secrets by their prefixes. */
const SECRET_TEXT: [RegExp, string][] = [
  [/([?&](?:token|access_token|api_?key|x-api-key|master_?key|key|secret)=)[^&\s"']*/gi, '$1[REDACTED]'],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[REDACTED]'],
  [/\b(sk|uts)_[A-Za-z0-9]{16,}/g, '$1_[REDACTED]'],
  [/\bwhsec_[A-Za-z0-9+/=]{16,}/g, 'whsec_[REDACTED]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[REDACTED JWT]'],
]
const redactText = (s: string) => SECRET_TEXT.reduce((acc, [re, to]) => acc.replace(re, to), s)

/** Replaces secret values (by key), and credentials found inside strings and error messages. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 5) return value
  if (typeof value === 'string') return redactText(value)
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  if (value instanceof Error) return { name: value.name, message: redactText(value.message), stack: value.stack && redactText(value.stack) }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[REDACTED]' : redact(v, depth + 1)
    return out
  }
  return value
}

export function createLogger(
  level: LogLevel = 'info',
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
  const min = RANK[level]
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return
    const rec = { time: new Date().toISOString(), level: lvl, msg, ...base, ...(fields ? (redact(fields) as object) : {}) }
    write(JSON.stringify(rec))
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  }
}
