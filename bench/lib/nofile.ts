// Open-files limits for the c100k bench: read any process's soft/hard RLIMIT_NOFILE from /proc and
// raise a soft limit to its hard limit with prlimit(2) through libc (bun:ffi). Raising a soft limit
// up to the hard one needs no privilege; raising the hard one needs CAP_SYS_RESOURCE in the initial
// user namespace, which a container usually lacks (a user namespace of our own does not help: the
// kernel checks the capability against the initial namespace).

import { readFileSync } from 'node:fs'

export interface Nofile {
  soft: number
  hard: number
}

const RLIMIT_NOFILE = 7

/** The open-files limits of `pid` (0: this process), or null when unreadable. */
export function readNofile(pid = 0): Nofile | null {
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid || 'self'}/limits`, 'utf8'))
    if (!m) return null
    const n = (s: string) => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s))
    return { soft: n(m[1]), hard: n(m[2]) }
  } catch {
    return null
  }
}

/**
 * Raises the soft open-files limit of `pid` (0: this process; children spawned afterwards inherit
 * it) to `want`, or to its hard limit when `want` is above it and the hard one cannot move. Returns the limits after the call and
 * an error text when prlimit refused or libc could not be loaded.
 */
export async function raiseNofile(pid: number, want: number): Promise<{ before: Nofile | null; after: Nofile | null; error: string | null }> {
  const before = readNofile(pid)
  if (!before) return { before, after: null, error: `cannot read /proc/${pid || 'self'}/limits` }
  if (want <= before.soft) return { before, after: before, error: null } // never lowers a limit
  let error: string | null = null
  try {
    const { dlopen, FFIType, ptr } = await import('bun:ffi')
    const libc = dlopen('libc.so.6', { prlimit: { args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } })
    try {
      // Ask for the hard limit too when `want` is above it: that part needs CAP_SYS_RESOURCE.
      const hard = Math.max(before.hard, want)
      const lim = new BigUint64Array([BigInt(Math.min(want, hard)), BigInt(hard)])
      if (libc.symbols.prlimit(pid, RLIMIT_NOFILE, ptr(lim), null) !== 0) {
        error = `prlimit(${pid || 'self'}, NOFILE, ${want}:${hard}) refused (EPERM without CAP_SYS_RESOURCE)`
        if (hard > before.hard) {
          const soft = new BigUint64Array([BigInt(before.hard), BigInt(before.hard)])
          if (libc.symbols.prlimit(pid, RLIMIT_NOFILE, ptr(soft), null) !== 0) error += '; raising the soft limit to the hard one was refused too'
        }
      }
    } finally {
      libc.close()
    }
  } catch (e) {
    error = `prlimit through bun:ffi unavailable: ${(e as Error).message}`
  }
  return { before, after: readNofile(pid), error }
}
