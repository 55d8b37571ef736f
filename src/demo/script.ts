// The demo page's script: src/demo/page/main.ts and the SDK, bundled for the browser at transpile
// time by a macro (./bundle.ts). Loaded lazily by the route, so under `bun run` the bundle is built
// on the first request; `bun build --compile` runs the macro and inlines the result in the binary.

import { buildDemoScript } from './bundle' with { type: 'macro' }

export const demoScript: string = buildDemoScript()
