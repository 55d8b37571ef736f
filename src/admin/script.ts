// The admin console's script: src/admin/page/*.ts and uPlot, bundled for the browser at transpile
// time by a macro (./bundle.ts). Loaded lazily by the route, so under `bun run` the bundle is built
// on the first request; `bun build --compile` runs the macro and inlines the result in the binary.

import { buildAdminScript } from './bundle' with { type: 'macro' }

export const adminScript: string = buildAdminScript()
