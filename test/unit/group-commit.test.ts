// Group commit batching (services/group-commit.ts): what shares a flush, with and without linger.

import { expect, test } from 'bun:test'
import { createGroupCommit } from '../../src/services/group-commit'

/** A synchronous flush that takes `ms` of wall time (like a COMMIT waiting on fsync) and records its batches. */
function slowFlush(ms: number) {
  const batches: string[][] = []
  const flush = (items: string[]) => {
    batches.push(items)
    const until = performance.now() + ms
    while (performance.now() < until) {
      /* blocking, as bun:sqlite's COMMIT is */
    }
    return items.map((i) => `ok:${i}`)
  }
  return { batches, flush }
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r))

for (const linger of [false, true])
  test(`items submitted in one turn share a flush; each caller gets its own result (linger ${linger})`, async () => {
    const { batches, flush } = slowFlush(0)
    const gc = createGroupCommit(flush, 500, { linger })
    expect(await Promise.all(['a', 'b', 'c'].map((i) => gc.submit(i)))).toEqual(['ok:a', 'ok:b', 'ok:c'])
    expect(batches).toEqual([['a', 'b', 'c']])
  })

test('without linger, an item arriving one turn after the flush was scheduled gets its own commit', async () => {
  const { batches, flush } = slowFlush(10)
  const gc = createGroupCommit(flush, 500)
  await gc.submit('a')
  const b = gc.submit('b') // right after a slow commit: the busy case
  await nextTurn()
  const c = gc.submit('c')
  await Promise.all([b, c])
  expect(batches).toEqual([['a'], ['b'], ['c']])
})

test('with linger, right after a slow commit the next flush waits a moment and takes both items', async () => {
  // A 40 ms commit and a 20 ms cap (not the default 2 ms): the next turn lands inside the wait even
  // on a loaded machine, where a 2 ms window was missed about once in 25 runs.
  const { batches, flush } = slowFlush(40)
  const gc = createGroupCommit(flush, 500, { linger: true, lingerMaxMs: 20 })
  await gc.submit('a') // idle before: flushed at once, alone
  const b = gc.submit('b')
  await nextTurn()
  const c = gc.submit('c')
  expect(await Promise.all([b, c])).toEqual(['ok:b', 'ok:c'])
  expect(batches).toEqual([['a'], ['b', 'c']])
})

test('linger never holds a full batch: maxBatch items flush without waiting', async () => {
  const { batches, flush } = slowFlush(10)
  const gc = createGroupCommit(flush, 2, { linger: true })
  await gc.submit('a')
  await Promise.all([gc.submit('b'), gc.submit('c'), gc.submit('d')])
  expect(batches).toEqual([['a'], ['b', 'c'], ['d']])
})
