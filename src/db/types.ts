// The storage seam (ARCHITECTURE §4/§6, SPEC §9). The SQLite store (db/sqlite/) is synchronous: each
// method is one immediate transaction on the main thread. The PostgreSQL store (db/postgres/) has
// the same aggregates and method names with the same semantics, returning promises. Services are
// written against `Store`, in which every method may return its value or a promise of it, and await
// every call; that costs the SQLite path one microtask and keeps one code path for both.

import type { createSqliteStore } from './sqlite'

export type SqliteStore = ReturnType<typeof createSqliteStore>

type Asyncify<T> = T extends (...args: infer A) => infer R ? (...args: A) => R | Promise<R> : T
type AsyncGroup<G> = { [M in keyof G]: Asyncify<G[M]> }

/** Everything the services may call on a store; both implementations satisfy it. */
export type Store = { [K in keyof SqliteStore]: SqliteStore[K] extends (...a: never[]) => unknown ? Asyncify<SqliteStore[K]> : AsyncGroup<SqliteStore[K]> }

export type { TenantRow } from './sqlite/tenants'
export type { RoomRow } from './sqlite/rooms'
export type { MemberRow } from './sqlite/members'
export type { MessageRow, NewMessage } from './sqlite/messages'
