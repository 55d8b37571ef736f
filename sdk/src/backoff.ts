// Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a fleet of clients
// dropped at once by a restart does not come back in lock step, and no delay is ever zero.

export interface BackoffOptions {
  /** First delay, ms (default 500). */
  initialMs: number
  /** Ceiling, ms (default 30 000). */
  maxMs: number
  /** Growth per attempt (default 2). */
  factor: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2 }

/** Delay before reconnect attempt `attempt` (0-based): in [d/2, d] with d = min(max, initial × factor^attempt). */
export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const d = Math.min(o.maxMs, o.initialMs * o.factor ** Math.max(0, attempt))
  return Math.round(d / 2 + random() * (d / 2))
}

/** The server's `server.shutdown` hint plus up to half of it again (at most 2 s), spread over clients. */
export function shutdownDelay(reconnectAfterMs: number, random: () => number = Math.random): number {
  return Math.round(reconnectAfterMs + random() * Math.min(2000, reconnectAfterMs / 2))
}
