// Retry timing shared by redelivery, webhooks and endpoint calls (SPEC §6): exponential with jitter.

/**
 * Delay before retry number `attempt` (1-based): base × 2^(attempt-1), with ±20% jitter so a burst
 * of failures does not retry in lockstep; capped at one hour.
 */
export function backoffMs(baseMs: number, attempt: number, random: () => number = Math.random): number {
  const raw = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000)
  return Math.round(raw * (0.8 + 0.4 * random()))
}
