// The ordered list of embedded PostgreSQL migrations (same numbers and meaning as db/migrations.ts).

import m0001 from '../../../migrations/postgres/0001_init.sql' with { type: 'text' }
import m0002 from '../../../migrations/postgres/0002_delivery.sql' with { type: 'text' }
import m0003 from '../../../migrations/postgres/0003_room_list_order.sql' with { type: 'text' }
import m0004 from '../../../migrations/postgres/0004_rich_messages.sql' with { type: 'text' }
import m0005 from '../../../migrations/postgres/0005_uploads.sql' with { type: 'text' }
import m0006 from '../../../migrations/postgres/0006_moderation.sql' with { type: 'text' }
import m0007 from '../../../migrations/postgres/0007_search.sql' with { type: 'text' }
import m0008 from '../../../migrations/postgres/0008_lifecycle.sql' with { type: 'text' }
import m0009 from '../../../migrations/postgres/0009_list_order.sql' with { type: 'text' }
import type { Migration } from '../migrations'

/** Append new files here; test/store/pg-migrations.test.ts fails when one in migrations/postgres/ is missing. */
export const postgresMigrations: Migration[] = [
  { version: 1, name: '0001_init', sql: m0001 },
  { version: 2, name: '0002_delivery', sql: m0002 },
  { version: 3, name: '0003_room_list_order', sql: m0003 },
  { version: 4, name: '0004_rich_messages', sql: m0004 },
  { version: 5, name: '0005_uploads', sql: m0005 },
  { version: 6, name: '0006_moderation', sql: m0006 },
  { version: 7, name: '0007_search', sql: m0007 },
  { version: 8, name: '0008_lifecycle', sql: m0008 },
  { version: 9, name: '0009_list_order', sql: m0009 },
]
