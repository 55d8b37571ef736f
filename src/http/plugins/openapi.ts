// OpenAPI at /swagger/json and Swagger UI at /swagger, with the UI assets embedded (works offline).

import { Elysia } from 'elysia'
import { openapi } from '@elysiajs/openapi'
import swaggerJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }

const asset = (path: string, type: string) => () =>
  new Response(Bun.file(path), { headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' } })

export const openapiPlugin = (version: string) =>
  new Elysia()
    .get('/swagger/assets/swagger-ui-bundle.js', asset(swaggerJs, 'text/javascript; charset=utf-8'), { detail: { hide: true } })
    .get('/swagger/assets/swagger-ui.css', asset(swaggerCss, 'text/css; charset=utf-8'), { detail: { hide: true } })
    .use(
      openapi({
        path: '/swagger',
        specPath: '/swagger/json',
        provider: 'swagger-ui',
        swagger: { cdn: '/swagger/assets/swagger-ui-bundle.js', theme: '/swagger/assets/swagger-ui.css' },
        exclude: { paths: [/^\/swagger/] },
        documentation: {
          info: {
            title: 'ChatAPI',
            version,
            description:
              'Self-hosted multi-tenant chat backend. Tenant calls send X-API-Key + X-User-Id (or a user token as Bearer); ' +
              'admin calls send X-Master-Key. Every error has the envelope {success:false, error:{code, message, field?}}. ' +
              'The WebSocket protocol (GET /ws: every frame, the upgrade\'s credentials, the close codes) is described by the ' +
              'AsyncAPI 3.0 document at [/asyncapi.json](/asyncapi.json).',
          },
          tags: [
            { name: 'rooms' }, { name: 'members' }, { name: 'messages' }, { name: 'search' }, { name: 'delivery' },
            { name: 'admin' }, { name: 'operations' },
          ],
          components: {
            securitySchemes: {
              apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'tenant API key (server side only)' },
              userId: { type: 'apiKey', in: 'header', name: 'X-User-Id', description: 'the end user the call acts for' },
              bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'user token (HS256)' },
              masterKey: { type: 'apiKey', in: 'header', name: 'X-Master-Key', description: 'MASTER_API_KEY' },
            },
          },
        },
      }),
    )
