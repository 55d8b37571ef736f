// `chatapi copy-db --to postgres://…`: moves the SQLite database of DATABASE_URL into an empty
// PostgreSQL database (docs/scaling.md). Stop the server first: the copy reads one snapshot.

import { SQL } from 'bun'
import type { Config } from '../config'
import { copySqliteToPostgres, CopyError } from '../db/copy'
import { invalid } from '../errors'

export async function copyDb(config: Config, to: string, out: (line: string) => void): Promise<number> {
  if (config.postgresUrl || config.databasePath === ':memory:') throw invalid('DATABASE_URL', 'copy-db reads a SQLite database file')
  if (!/^postgres(ql)?:\/\//.test(to)) throw invalid('--to', '--to must be a postgres:// URL')
  const sql = new SQL(to)
  try {
    const counts = await copySqliteToPostgres(config.databasePath, sql)
    out(JSON.stringify({ copied: counts }))
    return 0
  } catch (e) {
    if (e instanceof CopyError) throw invalid('--to', e.message)
    throw e
  } finally {
    await sql.close()
  }
}
