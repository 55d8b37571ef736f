// Bundled for the browser (bun build --target browser) from the installed package, then loaded in
// headless Chromium by test/sdk/package.test.ts, which drives it through these globals. The page has
// its own origin, as a parent app's page would: ChatAPI answers it through CORS_ORIGINS.
import { ChatClient } from '@chatapi/client'

const received = []
let chat

Object.assign(globalThis, {
  received,
  async start(baseUrl, token) {
    chat = new ChatClient({ baseUrl, token })
    chat.on('message', (m) => {
      received.push(m)
      document.querySelector('#last').textContent = `${m.sender_id}: ${m.content}`
    })
    const info = await chat.connect()
    const { rooms } = await chat.rest.listRooms()
    return { user: info.user_id, rooms: rooms.map((r) => r.room_id) }
  },
  send: (roomId, text) => chat.send(roomId, text),
  stop: () => chat.close(),
})
document.querySelector('#state').textContent = 'ready'
