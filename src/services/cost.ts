// What a request costs in tenant rate-limit tokens (issue 13; docs/security.md). A request whose
// work grows with its input or its answer pays in proportion, so the tenant's rate bounds the work
// it can cause, not just the number of its requests.

/** Items (members named, rooms or members listed, messages a sync may stream) one token pays for. */
export const ITEMS_PER_TOKEN = 100

/** One token per started 100 items, and at least one: 0–100 items cost 1, 101–200 cost 2, 950 cost 10. */
export const costOf = (items: number) => Math.max(1, Math.ceil(items / ITEMS_PER_TOKEN))
