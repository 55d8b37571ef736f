// Opaque ids: a prefix plus 22 base62 chars (≈131 bits of randomness), SPEC §1.

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

export type IdPrefix = 'tnt' | 'room' | 'msg' | 'ntf' | 'sub' | 'dl' | 'dlv' | 'evt' | 'conn' | 'req' | 'upl' | 'rpt'

/** Random base62 string; rejection sampling keeps every character uniform. */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2))
    for (const b of bytes) {
      if (b < 248) out += ALPHABET[b % 62]
      if (out.length === length) break
    }
  }
  return out
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(22)}`
}
