// A webhook receiver in its own process (for measurements: its work must not share the server's
// event loop). Usage: bun receiver-process.ts <delayMs>. Prints {"port"} once listening; answers
// every POST with 200 after <delayMs>; GET /count returns how many POSTs it has received.

const delayMs = Number(process.argv[2] ?? 0)
let count = 0
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(req) {
    if (req.method === 'GET') return Response.json({ count })
    await req.arrayBuffer()
    if (delayMs) await Bun.sleep(delayMs)
    count++
    return new Response('ok')
  },
})
console.log(JSON.stringify({ port: server.port }))
