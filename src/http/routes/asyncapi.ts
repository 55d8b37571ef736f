// GET /asyncapi.json: the AsyncAPI 3.0 document of the WebSocket protocol (no credentials, like /swagger).

import { Elysia } from 'elysia'
import type { Config } from '../../config'
import { asyncApiDocument } from '../asyncapi-document'

export const asyncapiRoutes = (config: Config) => {
  // Built once: it depends only on the schemas, the version and this server's limits.
  const body = JSON.stringify(asyncApiDocument(config.version, config, `localhost:${config.port || 8080}`))
  return new Elysia().get(
    '/asyncapi.json',
    () => new Response(body, { headers: { 'content-type': 'application/json; charset=utf-8' } }),
    { detail: { hide: true } },
  )
}
