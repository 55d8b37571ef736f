// Import rules of the code base (docs/code-map.md draws them). test/unit/deps.test.ts runs
// dependency-cruiser with this file over src/, bench/ and sdk/src/ and fails on any violation.
//
// Layers, from the outside in:
//   src/index.ts, src/cli/            entry point and commands
//   src/server.ts, src/core.ts        composition root: infrastructure, services, lifecycle
//   src/app.ts, src/http/, src/ws/    transports (REST, WebSocket)
//   src/workers/                      worker threads (delivery, checkpoint, backup)
//   src/services/                     business rules, domain events
//   src/db/, src/broker/              storage and cross-instance state (fan-out, presence, limits)
//   src/blobs/                        uploaded files (a local directory or an S3 bucket)
//   src/schemas/, errors, ids, clock, log, config   leaves
// An arrow only points inward. Type-only imports count like value imports.

const LEAVES = '^src/(schemas/|errors\\.ts$|ids\\.ts$|clock\\.ts$|log\\.ts$)'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle (type-only edges included) means two modules are one; split out what both need.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'leaves-stay-leaves',
      severity: 'error',
      comment: 'schemas, errors, ids, clock and log are imported by every layer and import none of them.',
      from: { path: LEAVES },
      to: { path: '^src/', pathNot: LEAVES },
    },
    {
      name: 'db-below-services',
      severity: 'error',
      comment: 'The store knows rows, not services, transports, brokers or workers.',
      from: { path: '^src/db/' },
      to: { path: '^src/(services|http|ws|broker|workers|cli|demo)/|^src/(app|server|core|instrument|health|metrics|index)\\.ts$' },
    },
    {
      name: 'db-dialects-apart',
      severity: 'error',
      comment: 'SQLite and PostgreSQL share code through src/db/rows.ts and src/db/types.ts, never through each other.',
      from: { path: '^src/db/(sqlite|postgres)/' },
      to: { path: '^src/db/(sqlite|postgres)/', pathNot: '^src/db/$1/' },
    },
    {
      name: 'broker-below-services',
      severity: 'error',
      comment: 'Fan-out, presence and limits are infrastructure: they take ports and plain values, never services.',
      from: { path: '^src/broker/' },
      to: { path: '^src/(services|http|ws|db|workers|cli|demo)/|^src/(app|server|core|instrument|health|metrics|index)\\.ts$' },
    },
    {
      name: 'blobs-below-services',
      severity: 'error',
      comment: 'The file stores keep bytes under keys; rows, services and transports are not their business.',
      from: { path: '^src/blobs/' },
      to: { path: '^src/(services|http|ws|db|broker|workers|cli|demo)/|^src/(app|server|core|instrument|health|metrics|index)\\.ts$' },
    },
    {
      name: 'services-transport-free',
      severity: 'error',
      comment: 'Services are called by REST, WebSocket, CLI and workers alike; none of those may leak into them.',
      from: { path: '^src/services/' },
      to: { path: '^src/(http|ws|workers|cli|demo)/|^src/(app|server|core|instrument|index)\\.ts$' },
    },
    {
      name: 'services-use-the-store-port',
      severity: 'error',
      comment: 'Services see src/db/types.ts and src/db/rows.ts, not one dialect.',
      // A worker thread opens its own connection to whichever database is configured.
      from: { path: '^src/(services|http|ws|workers)/|^src/(instrument|health|core)\\.ts$', pathNot: '\\.worker\\.ts$' },
      to: { path: '^src/db/(sqlite|postgres)/' },
    },
    {
      name: 'http-through-services',
      severity: 'error',
      comment: 'Routes call services; they do not touch the store, sockets or threads.',
      from: { path: '^src/http/' },
      to: { path: '^src/(ws|workers|db|cli)/|^src/(server|core|index)\\.ts$' },
    },
    {
      name: 'ws-through-services',
      severity: 'error',
      comment: 'The WebSocket layer calls services and the broker; REST is its sibling, not its dependency.',
      from: { path: '^src/ws/' },
      to: { path: '^src/(http|workers|db|cli)/|^src/(app|server|core|index)\\.ts$' },
    },
    {
      name: 'workers-no-transports',
      severity: 'error',
      from: { path: '^src/workers/' },
      to: { path: '^src/(http|ws|cli)/|^src/(app|server|core|index)\\.ts$' },
    },
    {
      name: 'no-test-code-shipped',
      severity: 'error',
      comment: 'src/, bench/ and the SDK are compiled into the binary or published; test/ is neither.',
      from: { path: '^(src|bench|sdk/src)/' },
      to: { path: '^test/' },
    },
    {
      name: 'bench-only-from-the-cli',
      severity: 'error',
      comment: '`chatapi bench` loads the bench from src/index.ts on demand; nothing else in src/ may.',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { path: '^bench/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/demo/page/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
    cache: false,
  },
}
