// Lowers the priority of the calling worker thread (Linux), so that when the CPUs are contended the
// main thread, which serves sends, is scheduled first and the thread's background work waits.
// setpriority(2) takes a thread id on Linux; /proc/thread-self names the calling thread.

import { readlinkSync } from 'node:fs'

/** Returns the nice value set, or null where this is not supported (another OS, no libc found). */
export function lowerThreadPriority(nice: number): number | null {
  if (process.platform !== 'linux') return null
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (!Number.isInteger(tid) || tid <= 0) return null
    // Loaded here, not at the top: only this Linux path needs it.
    const { dlopen, FFIType } = require('bun:ffi') as typeof import('bun:ffi')
    const libc = dlopen('libc.so.6', { setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 } })
    try {
      return libc.symbols.setpriority(0 /* PRIO_PROCESS: one task, here a thread */, tid, nice) === 0 ? nice : null
    } finally {
      libc.close()
    }
  } catch {
    return null
  }
}
