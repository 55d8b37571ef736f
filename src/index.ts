// Entry point: argv → subcommand. The ONLY place that reads process.env/argv and calls exit.

import { ConfigError, loadConfig } from './config'
import { serve } from './cli/serve'
import { migrate } from './cli/migrate'
import { tenantCreate } from './cli/tenant'
import { tokenCreate } from './cli/token'
import { copyDb } from './cli/copy-db'
import { healthcheck } from './cli/healthcheck'
import { backup } from './cli/backup'
import { searchRebuild } from './cli/search'
import { VERSION, version } from './cli/version'
import { MigrationError } from './db/migrate'
import { AppError } from './errors'

const HELP = `chatapi ${VERSION} - self-hosted multi-tenant chat backend

Usage:
  chatapi [serve]                    start the server (default)
  chatapi migrate                    apply database migrations and print versions (JSON)
  chatapi tenant create --name NAME  create a tenant; prints its secrets once (JSON)
  chatapi token create --tenant ID --user USER [--ttl-s N]
                                     mint a user token (HS256 JWT) for a client; prints it
  chatapi copy-db --to postgres://…  copy this SQLite database into an empty PostgreSQL database
  chatapi backup FILE                write a consistent copy of the database to FILE (JSON)
  chatapi search rebuild             rebuild the SQLite search index from the messages (server stopped)
  chatapi healthcheck                GET the local /health; exit 0 when it answers 200, else 1
  chatapi bench [SCENARIO,...] --url=http://HOST:PORT --master-key=KEY|--api-key=KEY [--secs=N ...]
                                     load-test a running ChatAPI (see chatapi bench --help)
  chatapi version                    print the version (the one GET /health reports)
  chatapi --help                     this help

Configuration comes from environment variables only (LISTEN_ADDR, DATABASE_URL, MASTER_API_KEY, ...;
see the README). A bad variable, command or flag exits with status 2 and a one-line message.`

class UsageError extends Error {}

/** The argv that runs this program again: the compiled binary alone, or `bun src/index.ts` from source. */
const selfCommand = () => (Bun.main.startsWith('/$bunfs/') ? [process.execPath] : [process.execPath, Bun.main])

/** Parses `--flag VALUE` / `--flag=VALUE` pairs; anything else (unknown flag, stray word) is a usage error. */
function parseFlags(args: string[], allowed: string[]): Map<string, string> {
  const flags = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (!arg.startsWith('-')) throw new UsageError(`unexpected argument "${arg}" (see chatapi --help)`)
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (!allowed.includes(name)) throw new UsageError(`unknown flag ${name} (see chatapi --help)`)
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i]
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--')))
      throw new UsageError(`${name} needs a value`)
    flags.set(name, value)
  }
  return flags
}

function required(flags: Map<string, string>, name: string): string {
  const v = flags.get(name)
  if (v === undefined) throw new UsageError(`missing ${name} VALUE (see chatapi --help)`)
  return v
}

async function main(argv: string[]): Promise<number> {
  const [cmd = 'serve', ...rest] = argv
  const out = (line: string) => console.log(line)
  const err = (line: string) => console.error(`chatapi: ${line}`)
  // The bench's code is imported only here (not at server start-up); it checks its own flags and
  // prints its own usage, exit 2 on a bad flag.
  if (cmd === 'bench') return (await import('../bench/index')).runBench(rest, { name: 'chatapi bench', self: selfCommand() })
  // Internal: one load process of `chatapi bench` (never the server's process), spec in a JSON file.
  if (cmd === '__bench-load') {
    const [kind, file, ...more] = rest
    if (!file || more.length) throw new UsageError('usage: chatapi __bench-load ws|rest|noisy|c100k SPEC.json')
    if (kind === 'ws') return (await import('../bench/lib/load-ws')).main(file)
    if (kind === 'rest') return (await import('../bench/lib/load-rest')).main(file)
    if (kind === 'noisy') return (await import('../bench/lib/load-noisy')).main(file)
    if (kind === 'c100k') return (await import('../bench/lib/load-c100k')).main(file)
    throw new UsageError(`__bench-load: unknown load "${kind}"`)
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help' || rest.includes('--help') || rest.includes('-h'))
    return out(HELP), 0
  // Commands and flags are checked before the environment, so a typo is reported as such.
  switch (cmd) {
    case 'version':
    case '--version':
      parseFlags(rest, [])
      return version(out)
    case 'serve':
      parseFlags(rest, [])
      return serve(loadConfig(process.env, VERSION))
    case 'migrate':
      parseFlags(rest, [])
      return migrate(loadConfig(process.env, VERSION), out)
    case 'healthcheck':
      parseFlags(rest, [])
      return healthcheck(loadConfig(process.env, VERSION), out, err)
    case 'backup': {
      const [file, ...more] = rest
      if (!file || file.startsWith('-')) throw new UsageError('usage: chatapi backup FILE')
      parseFlags(more, [])
      return backup(loadConfig(process.env, VERSION), file, out)
    }
    case 'search': {
      if (rest[0] !== 'rebuild') throw new UsageError('usage: chatapi search rebuild')
      parseFlags(rest.slice(1), [])
      return searchRebuild(loadConfig(process.env, VERSION), out, err)
    }
    case 'tenant': {
      if (rest[0] !== 'create') throw new UsageError('usage: chatapi tenant create --name NAME')
      const name = required(parseFlags(rest.slice(1), ['--name']), '--name')
      return tenantCreate(loadConfig(process.env, VERSION), name, out)
    }
    case 'copy-db':
      return copyDb(loadConfig(process.env, VERSION), required(parseFlags(rest, ['--to']), '--to'), out)
    case 'token': {
      if (rest[0] !== 'create') throw new UsageError('usage: chatapi token create --tenant ID --user USER [--ttl-s N]')
      const flags = parseFlags(rest.slice(1), ['--tenant', '--user', '--ttl-s'])
      return tokenCreate(loadConfig(process.env, VERSION), required(flags, '--tenant'), required(flags, '--user'), flags.get('--ttl-s'), out)
    }
    default:
      throw new UsageError(
        cmd.startsWith('-') ? `unknown flag ${cmd} (see chatapi --help)` : `unknown command "${cmd}" (see chatapi --help)`,
      )
  }
}

/** Keeps a message on one line even when it quotes a value containing newlines. */
const oneLine = (s: string) => s.replace(/\r?\n/g, '\\n')

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof ConfigError || e instanceof UsageError) {
      console.error(`chatapi: ${oneLine(e.message)}`)
      process.exit(2)
    }
    if (e instanceof AppError) {
      console.error(`chatapi: ${oneLine(`${e.field ? e.field + ': ' : ''}${e.message}`)}`)
      process.exit(2)
    }
    if (e instanceof MigrationError) {
      console.error(`chatapi: ${oneLine(e.message)}`)
      process.exit(1)
    }
    const listenFailure = e instanceof Error && e.message.startsWith('cannot listen on')
    console.error(`chatapi: ${listenFailure ? oneLine(e.message) : (e?.stack ?? e)}`)
    process.exit(1)
  },
)
