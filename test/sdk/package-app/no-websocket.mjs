// Run with `node` (without --experimental-websocket) on a Node.js that has no global WebSocket:
// connect() must fail at once with a message that says what to do, not retry forever.
import { ChatClient } from '@chatapi/client'

const [baseUrl, token] = process.argv.slice(2)
const chat = new ChatClient({ baseUrl, token, reconnect: { initialMs: 50, maxMs: 100 } })
const outcome = await chat.connect().then(
  () => ({ connected: true }),
  (e) => ({ name: e.name, code: e.code, message: e.message }),
)
chat.close()
console.log(JSON.stringify({ globalWebSocket: typeof globalThis.WebSocket, ...outcome }))
