#!/usr/bin/env bash
# The black-box REST, WebSocket, isolation and delivery suites again, on PostgreSQL + Redis (the
# shared-storage mode of SPEC §9): one switch, CHATAPI_TEST_DATABASE_URL. Then the REST, WebSocket
# and isolation suites a third time on a cluster: every test server is two instances on one fresh
# database and the Redis, behind a round-robin TCP proxy (CHATAPI_TEST_CLUSTER=2, see
# test/support/server.ts). Skips (exit 0, says so) when either server is unreachable, so
# `bun run test` works on a laptop with neither.
set -uo pipefail
PG_URL=${CHATAPI_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${CHATAPI_TEST_REDIS_URL:-redis://127.0.0.1:6379}

if ! bun -e "const s=new (require('bun').SQL)(process.argv[1],{max:1,connectionTimeout:2}); await s\`select 1\`; await s.close()" "$PG_URL" >/dev/null 2>&1; then
  echo "shared-storage suites skipped: PostgreSQL not reachable at $PG_URL"
  exit 0
fi
if ! bun -e "const c=await Bun.connect({hostname:'127.0.0.1',port:Number(new URL(process.argv[1]).port||6379),socket:{data(){}}}); c.end()" "$REDIS_URL" >/dev/null 2>&1; then
  echo "shared-storage suites skipped: Redis not reachable at $REDIS_URL"
  exit 0
fi
echo "shared-storage suites on PostgreSQL ($PG_URL) and Redis ($REDIS_URL)"
CHATAPI_TEST_DATABASE_URL=$PG_URL CHATAPI_TEST_REDIS_URL=$REDIS_URL bun test --timeout 20000 test/api test/isolation test/ws test/delivery
shared=$?
echo "cluster suites: two instances per test server behind a round-robin TCP proxy"
CHATAPI_TEST_CLUSTER=2 CHATAPI_TEST_DATABASE_URL=$PG_URL CHATAPI_TEST_REDIS_URL=$REDIS_URL bun test --timeout 20000 test/api test/isolation test/ws
cluster=$?
[ "$shared" -eq 0 ] && exit "$cluster"
exit "$shared"
