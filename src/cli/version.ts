// The one version string: injected by build.ts with --define; `<package.json version>-dev` under `bun run`.

import { version as packageVersion } from '../../package.json'

export const VERSION: string = typeof CHATAPI_VERSION === 'string' ? CHATAPI_VERSION : `${packageVersion}-dev`

/** `chatapi version`: prints the same string GET /health reports as `version`. */
export function version(out: (line: string) => void): number {
  out(VERSION)
  return 0
}
