// Renders the README configuration table from CONFIG_DOCS (src/config.ts).
//   bun test/unit/readme-config.ts           print the table
//   bun test/unit/readme-config.ts --write   replace it in README.md, between the config markers

import { join } from 'node:path'
import { CONFIG_DOCS } from '../../src/config'

export const README = join(import.meta.dir, '..', '..', 'README.md')
export const MARKERS = /(<!-- config:start[^>]*-->\n)[\s\S]*?(\n<!-- config:end -->)/

export function renderConfigTable(): string {
  const rows = CONFIG_DOCS.map(
    (d) => `| \`${d.name}\` | ${d.default === '' ? 'unset' : `\`${d.default}\``} | ${d.doc.replaceAll('|', '\\|')} |`,
  )
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n')
}

if (import.meta.main) {
  if (process.argv.includes('--write')) {
    const text = await Bun.file(README).text()
    if (!MARKERS.test(text)) throw new Error('README.md has no <!-- config:start --> … <!-- config:end --> markers')
    await Bun.write(README, text.replace(MARKERS, (_, a: string, b: string) => a + renderConfigTable() + b))
  } else console.log(renderConfigTable())
}
