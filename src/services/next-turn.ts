// Yielding to the event loop between slices of long work, so one caller cannot hold it for everyone.

/** Resolves in a later turn of the event loop, once pending I/O, timers and commits have had theirs. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))
