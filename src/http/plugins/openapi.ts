// OpenAPI at /swagger/json and Swagger UI at /swagger, with the UI assets embedded (works offline).
// The document is built by http/openapi/document.ts from the routes mounted beside this plugin.

import { Elysia } from 'elysia'
import { SwaggerUIRender } from '@elysiajs/openapi/swagger'
import swaggerJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import { buildOpenApiDocument, type RouteSource } from '../openapi/document'

const asset = (path: string, type: string) => () =>
  new Response(Bun.file(path), { headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' } })

export const openapiPlugin = (version: string) => {
  const hide = { detail: { hide: true } }
  const page = SwaggerUIRender(
    { title: 'ChatAPI', version, description: 'ChatAPI REST API: OpenAPI document and Swagger UI' },
    { url: '/swagger/json', cdn: '/swagger/assets/swagger-ui-bundle.js', theme: '/swagger/assets/swagger-ui.css', autoDarkMode: true },
  )
  // Built on first request, once every route is mounted; again only if routes were added since.
  let cached: { routes: number; json: string } | null = null
  const self: { app?: RouteSource } = {}
  const plugin = new Elysia()
    .get('/swagger/assets/swagger-ui-bundle.js', asset(swaggerJs, 'text/javascript; charset=utf-8'), hide)
    .get('/swagger/assets/swagger-ui.css', asset(swaggerCss, 'text/css; charset=utf-8'), hide)
    .get('/swagger', () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }), hide)
    .get(
      '/swagger/json',
      () => {
        const app = self.app!
        const routes = app.getGlobalRoutes().length
        if (cached?.routes !== routes) cached = { routes, json: JSON.stringify(buildOpenApiDocument(app, version)) }
        return new Response(cached.json, { headers: { 'content-type': 'application/json' } })
      },
      hide,
    )
  // getGlobalRoutes is Elysia's (protected) view of every route mounted on the root app.
  self.app = plugin as unknown as RouteSource
  return plugin
}
