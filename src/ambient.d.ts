// Ambient declarations for text/file imports (migrations, Swagger UI assets) and build-time defines.
declare module '*.sql' { const text: string; export default text }
declare module 'swagger-ui-dist/swagger-ui-bundle.js' { const path: string; export default path }
declare module 'swagger-ui-dist/swagger-ui.css' { const path: string; export default path }
/** Injected by build.ts with --define; undefined under `bun run`. */
declare const CHATAPI_VERSION: string | undefined
