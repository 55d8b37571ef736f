// Run with `node` by test/sdk/package.test.ts, in a fresh project where the packed SDK was
// installed from its tarball: REST with the API key (a parent app's backend), realtime with a
// user token. Prints one JSON line for the test to check.
import { ChatApiError, ChatClient, RestClient } from '@chatapi/client'

const [baseUrl, apiKey] = process.argv.slice(2)
const backend = new RestClient({ baseUrl, apiKey, userId: 'alice' })
const { token } = await backend.createToken({ user_id: 'bob', ttl_s: 600 })
const room = await backend.createRoom({ type: 'group', members: ['bob'], name: 'from node' })

const bob = new ChatClient({ baseUrl, token })
const received = new Promise((resolve) => bob.on('message', resolve))
const info = await bob.connect()
const sent = await backend.sendMessage(room.room_id, { content: 'hello, node' })
const message = await received
const reply = await bob.send(room.room_id, 'hello back, over the WebSocket')
const history = await backend.listMessages(room.room_id, { after_seq: 0 })
const missing = await backend.getRoom('room_missing').catch((e) => e)
bob.close()

console.log(
  JSON.stringify({
    node: process.version,
    user: info.user_id,
    sent: sent.seq,
    received: { room_id: message.room_id === room.room_id, seq: message.seq, content: message.content },
    reply: reply.seq,
    history: history.messages.map((m) => `${m.sender_id}: ${m.content}`),
    error: { isChatApiError: missing instanceof ChatApiError, code: missing.code, status: missing.status },
  }),
)
