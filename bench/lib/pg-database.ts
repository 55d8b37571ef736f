// A throwaway PostgreSQL database beside the one an admin URL names: used by the pg-scale bench and
// by the test harness (which re-exports it), kept here so nothing under test/ is compiled into the binary.

import { SQL } from 'bun'
import { randomBase62 } from '../../src/ids'

/** Creates an empty database next to the one in `adminUrl`; returns its URL and a drop function. */
export async function freshPgDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chatapi_t_${randomBase62(10).toLowerCase()}`
  const admin = new SQL(adminUrl, { max: 1 })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  await admin.close()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.href,
    async drop() {
      const a = new SQL(adminUrl, { max: 1 })
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
      await a.close()
    },
  }
}
