// Ids the realtime client makes up: request ids and client_msg_ids (SPEC §5: at most 64 characters).

let counter = 0

/** The next value of this module's counter, base 36: unique within this page or process. */
export const nextCount = (): string => (++counter).toString(36)

/** `prefix`, the counter and 18 random characters: unique across pages and devices too. */
export function newId(prefix: string): string {
  const rand = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(9)), (b) => b.toString(36).padStart(2, '0')).join('')
  return `${prefix}${nextCount()}_${rand}`.slice(0, 64)
}
