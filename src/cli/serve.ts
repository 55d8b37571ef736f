// `chatapi serve`: start the server and shut it down gracefully on SIGTERM/SIGINT.

import type { Config } from '../config'
import { startServer } from '../server'

export async function serve(config: Config): Promise<number> {
  const handle = await startServer(config)
  return new Promise<number>((resolve) => {
    const onSignal = (sig: string) => {
      handle.stop(sig).then(
        () => resolve(0),
        () => resolve(1),
      )
    }
    process.once('SIGTERM', () => onSignal('SIGTERM'))
    process.once('SIGINT', () => onSignal('SIGINT'))
  })
}
