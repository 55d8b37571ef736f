// A minimal resilient ChatAPI client: acks on receipt, dedupes by message_id, reconnects with
// exponential backoff and jitter, honours server.shutdown, and resumes from its ack via the server's sync.
// Usage: CHATAPI_URL=ws://127.0.0.1:8080/ws CHATAPI_KEY=sk_… CHATAPI_USER=alice bun examples/resilient-client.ts

const url = process.env.CHATAPI_URL ?? 'ws://127.0.0.1:8080/ws'
const headers = { 'X-API-Key': process.env.CHATAPI_KEY ?? '', 'X-User-Id': process.env.CHATAPI_USER ?? 'alice' }

const seen = new Set<string>() // message ids already handled (sync and redelivery may repeat)
let epoch: string | null = null
let attempt = 0
let retryAfterMs: number | null = null

function connect() {
  const ws = new WebSocket(url, { headers } as unknown as string[])
  ws.onopen = () => (attempt = 0)
  ws.onmessage = (e) => {
    const f = JSON.parse(String(e.data))
    switch (f.type) {
      case 'connected':
        if (epoch && f.epoch !== epoch) seen.clear() // a new epoch: old cursors mean nothing
        epoch = f.epoch
        break
      case 'message':
        ws.send(JSON.stringify({ type: 'ack', room_id: f.room_id, seq: f.seq })) // ack on receipt
        if (seen.has(f.message_id)) return
        seen.add(f.message_id)
        console.log(`[${f.room_id} #${f.seq}] ${f.sender_id}: ${f.content}`)
        break
      case 'server.shutdown':
        retryAfterMs = f.reconnect_after_ms
        break
      case 'error':
        console.error(`error ${f.code}: ${f.message}`)
        break
    }
  }
  ws.onclose = (e) => {
    const backoff = retryAfterMs ?? Math.min(30_000, 500 * 2 ** attempt++) * (0.5 + Math.random())
    retryAfterMs = null
    console.error(`closed (${e.code}); reconnecting in ${Math.round(backoff)} ms`)
    setTimeout(connect, backoff)
  }
}

connect()
