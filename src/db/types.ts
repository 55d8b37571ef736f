// The storage seam. Today one implementation (SQLite); the PostgreSQL store (SPEC §9) implements the
// same shape with the same file names under db/postgres/ and passes the same black-box suite.

import type { createSqliteStore } from './sqlite'

export type Store = ReturnType<typeof createSqliteStore>
export type { TenantRow } from './sqlite/tenants'
export type { RoomRow } from './sqlite/rooms'
export type { MemberRow } from './sqlite/members'
export type { MessageRow, NewMessage } from './sqlite/messages'
