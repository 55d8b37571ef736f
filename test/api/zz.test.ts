import { test } from 'bun:test'
import { startTestServer } from '../support/server'
test('p', async () => {
  const s = await startTestServer()
  const j = await s.call('GET', '/swagger/json')
  console.log(j.status, j.body.openapi, Object.keys(j.body.paths).join(' '))
  console.log(JSON.stringify(j.body.paths['/v1/rooms/{room_id}/messages'].post.security), JSON.stringify(j.body.paths['/v1/admin/tenants'].get.security))
  const h = await s.call('GET', '/swagger')
  console.log(h.headers.get('content-type'), h.body)
  await s.stop()
})
