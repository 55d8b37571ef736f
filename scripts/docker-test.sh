#!/usr/bin/env bash
# The container test (issue 23), run by .ci/run after the bun test run. This part prepares Docker on
# a machine with no image registry (docs/operations.md, "Tests of the image"): Debian's
# docker.io, docker-compose (v1) and debootstrap, a dockerd (stopped again at the end only if this
# script started it), and local stand-ins for the Dockerfile's two base images, kept between runs.
# Then test/docker/run.ts builds the real Dockerfile and checks the running container.
#
# stdout: one `ok`/`FAIL` line per check and a bun-like tally (" N pass", " N fail") that .ci/run
# adds to its final line; or ONE `docker checks skipped: <why>` line where Docker cannot run here.
# Progress and tool output go to stderr. Exit 0 when every check passed (or skipped), else 1.
set -uo pipefail
cd "$(dirname "$0")/.."

BUN_VERSION=1.4.5
STATE=${CHATAPI_CI_DOCKER_STATE:-/var/tmp/chatapi-ci-docker}   # dockerd's log, debootstrap's log
SUITE=bookworm
STAND_IN_LABEL=org.chatapi.ci.stand-in

say() { echo "docker-test: $*" >&2; }
skip() { echo "docker checks skipped: $*"; exit 0; }
# A failure before run.ts can count anything: one FAIL line and the tally, like run.ts prints them.
fail_early() { echo "FAIL $1"; echo " 0 pass"; echo " 1 fail"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  is_root || return 1
  command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $* from Debian"
  # No recommends: they bring needrestart (which may offer to restart the machine's services),
  # apparmor, git and more, none of which dockerd, compose or debootstrap need here.
  local opts=(-y -qq --no-install-recommends -o DPkg::Lock::Timeout=120)
  DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" >&2 \
    || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" >&2; }
}

# --- Docker engine and compose -------------------------------------------------------------------
missing=()
[ -x /usr/sbin/dockerd ] || command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
# debootstrap now too when it is missing: one apt run instead of two on a fresh machine.
is_root && ! command -v debootstrap >/dev/null 2>&1 && missing+=(debootstrap debian-archive-keyring)
if [ ${#missing[@]} -gt 0 ]; then
  is_root || skip "${missing[*]} not installed and not root to install them"
  apt_install "${missing[@]}" || skip "could not install ${missing[*]} from Debian"
fi
# Debian's client matches Debian's daemon (another docker CLI earlier in PATH may be much newer).
DOCKER=docker
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
export CHATAPI_CI_DOCKER=$DOCKER

dockerd_pid=
stop_dockerd() {
  [ -n "$dockerd_pid" ] || return 0
  say "stopping the dockerd this script started (pid $dockerd_pid)"
  kill -TERM "$dockerd_pid" 2>/dev/null
  for _ in $(seq 1 60); do kill -0 "$dockerd_pid" 2>/dev/null || return 0; sleep 0.5; done
  say "dockerd $dockerd_pid still running 30 s after SIGTERM"
}
if ! $DOCKER info >/dev/null 2>&1; then
  is_root || skip "no Docker daemon answers and not root to start one"
  mkdir -p "$STATE"
  say "starting dockerd (log: $STATE/dockerd.log)"
  # Its output goes to a file: holding .ci/run's pipe open would keep `tee` waiting.
  dockerd >"$STATE/dockerd.log" 2>&1 </dev/null &
  dockerd_pid=$!
  trap stop_dockerd EXIT
  for _ in $(seq 1 60); do
    $DOCKER info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! $DOCKER info >/dev/null 2>&1; then
    tail -n 5 "$STATE/dockerd.log" >&2
    skip "dockerd cannot run on this machine (see $STATE/dockerd.log)"
  fi
fi

# --- Base images: local stand-ins, built once and kept -------------------------------------------
# A stand-in carries a label naming its recipe; one made by an older recipe is made again. An image
# with no such label (the real one, on a machine with a registry) is used as it is.
DEBIAN_RECIPE=debootstrap-minbase-v2
BUN_RECIPE=machine-bun-$BUN_VERSION-v2
recipe_of() { $DOCKER image inspect -f "{{index .Config.Labels \"$STAND_IN_LABEL\"}}" "$1" 2>/dev/null; }
usable() { # usable IMAGE RECIPE: present, and either real or a stand-in of this recipe
  $DOCKER image inspect "$1" >/dev/null 2>&1 || return 1
  local r
  r=$(recipe_of "$1")
  [ -z "$r" ] || [ "$r" = "$2" ]
}
image_id() { $DOCKER image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
# The stand-in a new one replaced is this script's own: remove it (docker refuses while it is in use).
drop_replaced() { [ -n "$1" ] && [ "$1" != "$(image_id "$2")" ] && $DOCKER rmi "$1" >/dev/null 2>&1; return 0; }

rebuilt_debian=
if ! usable debian:$SUITE-slim "$DEBIAN_RECIPE"; then
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap debian-archive-keyring \
    || fail_early "base images: debootstrap not installable"
  # The mirror apt already uses (deb822 or one-line sources); Debian's own otherwise.
  mirror=$(grep -hoE '(URIs:|^deb) +https?://[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -v security | head -n 1 | awk '{print $2}')
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d /var/tmp/chatapi-ci-rootfs.XXXXXX)
  mkdir -p "$STATE"
  say "debootstrap --variant=minbase $SUITE from $mirror (log: $STATE/debootstrap.log)"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$STATE/debootstrap.log" 2>&1 \
    || { rm -rf "$rootfs"; fail_early "base images: debootstrap $SUITE failed (see $STATE/debootstrap.log)"; }
  # Slim it the way Debian's official -slim images are: no package cache, lists, docs, man pages or
  # locales, and apt and dpkg set up to keep them out of later layers too (without this one
  # `apt-get install` in the Dockerfile leaves ~90 MB of apt caches in the image).
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim"
  clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
  printf '%s\n' "DPkg::Post-Invoke { $clean };" "APT::Update::Post-Invoke { $clean };" \
    'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' >"$rootfs/etc/apt/apt.conf.d/docker-clean"
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  old=$(image_id debian:$SUITE-slim)
  tar -C "$rootfs" -c . | $DOCKER import --change 'CMD ["bash"]' --change "LABEL $STAND_IN_LABEL=$DEBIAN_RECIPE" \
    - debian:$SUITE-slim >&2
  status=$?
  rm -rf "$rootfs"
  [ $status -eq 0 ] || fail_early "base images: docker import of debian:$SUITE-slim failed"
  rebuilt_debian=1
fi

if [ -n "$rebuilt_debian" ] || ! usable oven/bun:$BUN_VERSION "$BUN_RECIPE"; then
  bun_bin=$(readlink -f "$(command -v bun)")
  [ "$(bun --version)" = "$BUN_VERSION" ] || fail_early "base images: the machine's bun is $(bun --version), not $BUN_VERSION"
  ca=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
  [ -r "$ca" ] || fail_early "base images: no CA bundle at $ca"
  ctx=$(mktemp -d /var/tmp/chatapi-ci-bun.XXXXXX)
  cp "$bun_bin" "$ctx/bun" && cp "$ca" "$ctx/ca-certificates.crt"
  # The machine's CA bundle: containers reach the npm registry only through what it trusts.
  cat >"$ctx/Dockerfile" <<EOF
FROM debian:$SUITE-slim
COPY bun /usr/local/bin/bun
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s bun /usr/local/bin/bunx
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL $STAND_IN_LABEL=$BUN_RECIPE
WORKDIR /home/bun/app
EOF
  old_bun=$(image_id oven/bun:$BUN_VERSION)
  say "building the oven/bun:$BUN_VERSION stand-in from $bun_bin"
  DOCKER_BUILDKIT=0 $DOCKER build -q -t oven/bun:$BUN_VERSION "$ctx" >&2
  status=$?
  rm -rf "$ctx"
  [ $status -eq 0 ] || fail_early "base images: building the oven/bun:$BUN_VERSION stand-in failed"
  drop_replaced "$old_bun" oven/bun:$BUN_VERSION
fi
[ -n "$rebuilt_debian" ] && drop_replaced "$old" debian:$SUITE-slim

# --- The image and the container checks ----------------------------------------------------------
bun test/docker/run.ts
