// The per-turn budget of connect-time work (ws/turn-budget.ts): at most perTurn steps released per
// turn of the event loop, first come first served, and other work runs between the turns.

import { expect, test } from 'bun:test'
import { createTurnBudget } from '../../src/ws/turn-budget'

const macrotask = () => new Promise<void>((r) => setImmediate(r))

test('releases at most perTurn steps per turn, in the order they asked', async () => {
  const budget = createTurnBudget(2)
  const released: number[] = []
  const all = Array.from({ length: 5 }, (_, i) => budget.turn().then(() => released.push(i)))
  expect(budget.waiting()).toBe(5)
  expect(released).toEqual([]) // never in the turn that asked
  await macrotask() // queued after the budget's own: its release and their continuations ran first
  expect(released).toEqual([0, 1])
  await macrotask()
  expect(released).toEqual([0, 1, 2, 3])
  await macrotask()
  expect(released).toEqual([0, 1, 2, 3, 4])
  await Promise.all(all)
  expect(budget.waiting()).toBe(0)
})

test('other macrotasks interleave with a long queue; steps asked later queue behind earlier ones', async () => {
  const budget = createTurnBudget(3)
  const order: string[] = []
  const steps = Array.from({ length: 9 }, (_, i) => budget.turn().then(() => order.push(`s${i}`)))
  setImmediate(() => order.push('other'))
  await Promise.all(steps)
  // The other task ran after the first batch, not after all nine.
  expect(order.indexOf('other')).toBe(3)
  const late = budget.turn().then(() => order.push('late'))
  await late
  expect(order.at(-1)).toBe('late')
})

test('a step that waits elsewhere (a slow socket) holds no place: the others go on', async () => {
  const budget = createTurnBudget(1)
  let drained!: () => void
  const slowSocket = new Promise<void>((r) => (drained = r))
  const slow = (async () => {
    await budget.turn()
    await slowSocket // waiting for a drain, outside the budget
    await budget.turn()
    return 'slow done'
  })()
  const others = await Promise.all([1, 2, 3].map(async (i) => (await budget.turn(), i)))
  expect(others).toEqual([1, 2, 3])
  drained()
  expect(await slow).toBe('slow done')
})

test('a budget below 1 is refused', () => {
  expect(() => createTurnBudget(0)).toThrow()
})
