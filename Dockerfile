# syntax=docker/dockerfile:1
# ChatAPI container: build with the pinned Bun, then ship only the compiled binary on a
# glibc slim base (the default bun-linux-x64 target links against glibc; no Alpine without a musl target).

FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock bunfig.toml ./
RUN bun install --frozen-lockfile
COPY . .
# No test run here: .ci/run runs the whole suite on the same tree with the same Bun (there also on
# PostgreSQL + Redis and with Chromium), then builds this file and checks the running image
# (scripts/docker-test.sh). In this stage the suite lacks tools it uses (openssl for the TLS tests),
# and its timing- and process-heavy tests would make image builds slow and fragile.
RUN bun run build

FROM debian:bookworm-slim AS runtime
# ca-certificates: outbound https webhooks. No curl: `chatapi healthcheck` probes /health itself.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 chatapi \
 && useradd --system --uid 10001 --gid chatapi --home-dir /data --no-create-home --shell /usr/sbin/nologin chatapi \
 && mkdir -p /data \
 && chown chatapi:chatapi /data
COPY --from=build /src/dist/chatapi /usr/local/bin/chatapi

# SQLite in WAL mode keeps -wal and -shm files beside the database, so the volume is the directory.
ENV DATABASE_URL=/data/chatapi.db \
    BACKUP_DIR=/data/backups \
    LISTEN_ADDR=0.0.0.0:8080
VOLUME ["/data"]
WORKDIR /data
USER chatapi:chatapi
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/chatapi", "healthcheck"]
# SIGTERM starts the graceful drain (SHUTDOWN_DRAIN_TIMEOUT_MS, default 10 s): give `docker stop -t 30`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/chatapi"]
CMD ["serve"]
