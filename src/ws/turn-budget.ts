// A budget of connect-time work per turn of the event loop. A reconnect storm (a restarted load
// balancer, a network blip) brings thousands of connections within a second; each then reads its
// rooms and streams their backlog one page per turn. Without a bound, every turn carries a page of
// every syncing connection and other tenants' requests wait seconds behind them (docs/performance.md,
// c100k). With it, at most `perTurn` such steps run per turn, in the order they asked; the others
// wait for later turns, and requests arriving meanwhile are served in between.
//
// A step waiting for a slow socket to drain holds nothing here (it takes its turn again after the
// drain), so clients that do not read cannot starve the others' syncs.

export interface TurnBudget {
  /** Resolves in a later turn, among at most `perTurn` steps released in that turn, first come first served. */
  turn(): Promise<void>
  /** Steps waiting for a turn now (metrics). */
  waiting(): number
}

export function createTurnBudget(perTurn: number): TurnBudget {
  if (!(perTurn >= 1)) throw new Error('turn budget must be at least 1')
  let queue: (() => void)[] = []
  let head = 0
  let scheduled = false

  // One macrotask per turn releases the next `perTurn` steps; their continuations (one read and
  // its sends each) run as microtasks right after it, before the loop goes on to other I/O.
  function release() {
    scheduled = false
    const end = Math.min(queue.length, head + perTurn)
    const batch = queue.slice(head, end)
    head = end
    if (head === queue.length) (queue = []), (head = 0)
    else if (head > 4096) (queue = queue.slice(head)), (head = 0)
    for (const step of batch) step()
    if (head < queue.length) schedule()
  }
  function schedule() {
    if (scheduled) return
    scheduled = true
    setImmediate(release)
  }
  return {
    turn() {
      return new Promise<void>((resolve) => {
        queue.push(resolve)
        schedule()
      })
    },
    waiting: () => queue.length - head,
  }
}
