// Commands, flags, --help and version: typos exit 2 with one line; help and version exit 0.

import { expect, test } from 'bun:test'
import pkg from '../../package.json'
import { lines, runCli } from './run'

const usageErrors: [args: string[], mentions: string][] = [
  [['bogus'], 'unknown command "bogus"'],
  [['--bogus'], 'unknown flag --bogus'],
  [['serve', '--port', '1'], 'unknown flag --port'],
  [['serve', 'extra'], 'unexpected argument "extra"'],
  [['migrate', '--force'], 'unknown flag --force'],
  [['version', '--short'], 'unknown flag --short'],
  [['healthcheck', '--url=x'], 'unknown flag --url'],
  [['tenant'], 'usage: chatapi tenant create --name NAME'],
  [['tenant', 'delete'], 'usage: chatapi tenant create --name NAME'],
  [['tenant', 'create'], 'missing --name'],
  [['tenant', 'create', '--name'], '--name needs a value'],
  [['tenant', 'create', '--name='], '--name needs a value'],
  [['tenant', 'create', '--nam', 'x'], 'unknown flag --nam'],
]

for (const [args, mentions] of usageErrors) {
  test(`chatapi ${args.join(' ')} → exit 2`, async () => {
    const r = await runCli(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(lines(r.stderr)).toEqual([expect.stringContaining(mentions)])
  })
}

test('a usage error is reported even when the environment is also bad', async () => {
  const r = await runCli(['bogus'], { LISTEN_ADDR: 'nope' })
  expect(r.code).toBe(2)
  expect(r.stderr).toContain('unknown command')
})

for (const args of [['--help'], ['-h'], ['help'], ['tenant', 'create', '--help']]) {
  test(`chatapi ${args.join(' ')} prints the help`, async () => {
    const r = await runCli(args)
    expect(r.code).toBe(0)
    for (const cmd of ['[serve]', 'migrate', 'tenant create --name NAME', 'backup FILE', 'healthcheck', 'version', '--help'])
      expect(r.stdout).toContain(`chatapi ${cmd}`)
    expect(r.stderr).toBe('')
  })
}

test('chatapi version prints the package version (-dev when not built)', async () => {
  for (const args of [['version'], ['--version']]) {
    const r = await runCli(args, { LISTEN_ADDR: 'not checked' })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${pkg.version}-dev\n`)
  }
})
