// bun bench/blocklist.ts: what the tenant blocklist costs a send (SPEC §14), measured in-process.
// For messages of several sizes it times the work services/message.ts does per message (one fold,
// one Aho-Corasick scan) with no blocklist, 10 terms and 1,000 terms, and the compile of 1,000
// terms (once per config change). Bounded: a fixed number of rounds per case, 127.0.0.1 not needed.

import { compileBlocklist, fold } from '../src/services/blocklist'

const ROUNDS = Number(process.env.ROUNDS ?? 20_000)

/** Words of 4-10 letters, deterministic, none of which appears in the sample text. */
function terms(n: number): string[] {
  const out: string[] = []
  let x = 12345
  for (let i = 0; out.length < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    const len = 4 + (x % 7)
    let w = 'q'
    for (let j = 1; j < len; j++) w += String.fromCharCode(97 + ((x >> (j * 3)) % 26))
    out.push(w)
  }
  return out
}

const SAMPLE = 'The new mockups are up, have a look at the sidebar and tell me what you think about it. '
const text = (bytes: number) => SAMPLE.repeat(Math.ceil(bytes / SAMPLE.length)).slice(0, bytes)

function time(fn: () => void, rounds: number): number {
  for (let i = 0; i < Math.min(1000, rounds); i++) fn() // warm up
  const t0 = performance.now()
  for (let i = 0; i < rounds; i++) fn()
  return ((performance.now() - t0) / rounds) * 1e6 // ns per call
}

const t0 = performance.now()
const big = compileBlocklist(terms(1000))
const compileMs = performance.now() - t0
const small = compileBlocklist(terms(10))
console.log(`compile 1,000 terms: ${compileMs.toFixed(2)} ms (once per config change)`)
console.log('size      none (fold only)   10 terms     1,000 terms  (ns per message, fold + one scan)')
for (const bytes of [100, 1024, 16 * 1024]) {
  const msg = text(bytes)
  const rounds = Math.max(200, Math.round((ROUNDS * 100) / bytes))
  const none = time(() => void fold(msg), rounds)
  const ten = time(() => void small.scan(fold(msg), true), rounds)
  const thousand = time(() => void big.scan(fold(msg), true), rounds)
  console.log(`${String(bytes).padEnd(9)} ${none.toFixed(0).padStart(10)}      ${ten.toFixed(0).padStart(10)}   ${thousand.toFixed(0).padStart(10)}`)
}
