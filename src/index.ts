// Entry point: argv → subcommand. The ONLY place that reads process.env/argv and calls exit.

import { ConfigError, loadConfig } from './config'
import { serve } from './cli/serve'
import { migrate } from './cli/migrate'
import { tenantCreate } from './cli/tenant'
import { AppError } from './errors'

const VERSION = typeof CHATAPI_VERSION === 'string' ? CHATAPI_VERSION : '0.1.0-dev'

const HELP = `chatapi ${VERSION} - self-hosted multi-tenant chat backend

Usage:
  chatapi [serve]                    start the server (default)
  chatapi migrate                    apply database migrations and print versions
  chatapi tenant create --name NAME  create a tenant; prints its secrets once (JSON)
  chatapi version                    print the version
  chatapi --help                     this help

Configuration comes from environment variables (see README: LISTEN_ADDR, DATABASE_URL, ...).`

class UsageError extends Error {}

function flag(args: string[], name: string): string {
  const i = args.indexOf(name)
  const v = i >= 0 ? args[i + 1] : undefined
  if (!v || v.startsWith('--')) throw new UsageError(`missing ${name} VALUE`)
  return v
}

function checkFlags(args: string[], allowed: string[]) {
  for (const a of args) if (a.startsWith('-') && !allowed.includes(a)) throw new UsageError(`unknown flag ${a}`)
}

async function main(argv: string[]): Promise<number> {
  const [cmd = 'serve', ...rest] = argv
  const out = (line: string) => console.log(line)
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') return out(HELP), 0
  if (rest.includes('--help') || rest.includes('-h')) return out(HELP), 0
  if (cmd === 'version' || cmd === '--version') return out(VERSION), 0
  const config = loadConfig(process.env, VERSION)
  switch (cmd) {
    case 'serve':
      checkFlags(rest, [])
      return serve(config)
    case 'migrate':
      checkFlags(rest, [])
      return migrate(config, out)
    case 'tenant': {
      if (rest[0] !== 'create') throw new UsageError('usage: chatapi tenant create --name NAME')
      checkFlags(rest.slice(1), ['--name'])
      return tenantCreate(config, flag(rest, '--name'), out)
    }
    default:
      throw new UsageError(`unknown command "${cmd}" (see chatapi --help)`)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof ConfigError || e instanceof UsageError) {
      console.error(`chatapi: ${e.message}`)
      process.exit(2)
    }
    if (e instanceof AppError) {
      console.error(`chatapi: ${e.field ? e.field + ': ' : ''}${e.message}`)
      process.exit(2)
    }
    console.error(`chatapi: ${e?.stack ?? e}`)
    process.exit(1)
  },
)
