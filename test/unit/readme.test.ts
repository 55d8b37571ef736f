// The README's configuration table is CONFIG_DOCS rendered, so it cannot drift from src/config.ts.
// Fix a failure with: bun test/unit/readme-config.ts --write

import { expect, test } from 'bun:test'
import { MARKERS, README, renderConfigTable } from './readme-config'

test('README configuration table matches src/config.ts exactly', async () => {
  const m = MARKERS.exec(await Bun.file(README).text())
  expect(m).not.toBeNull()
  const table = m![0].replace(/^<!-- config:start[^>]*-->\n/, '').replace(/\n<!-- config:end -->$/, '')
  expect(table).toBe(renderConfigTable())
})
