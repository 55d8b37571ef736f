// Background work with a lifecycle: started once the server listens, stopped (in reverse order)
// after the sockets have drained and before the broker and the store close (src/server.ts).

export interface BackgroundTask {
  name: string
  start(): void | Promise<void>
  /** Resolves when the task's work in flight is done; safe to call twice, or without start. */
  stop(): void | Promise<void>
}
