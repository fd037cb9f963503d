#!/usr/bin/env bash
# Everything Berth needs on a fresh Debian/Ubuntu machine, idempotent: system packages, the Docker
# engine (started by hand: no systemd here), a reachable PostgreSQL for the store tests, the npm
# dependencies (which also generate the Prisma clients) and the locally built test images.
# Run as root (or with sudo). BERTH_SETUP=runtime installs only what `berth dev` needs (the quick
# start); the default also installs and starts what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

for_tests=true
[[ ${BERTH_SETUP:-tests} == runtime ]] && for_tests=false

packages=()
command -v dockerd >/dev/null || packages+=(docker.io)
command -v iptables >/dev/null || packages+=(iptables)
dpkg -s busybox-static >/dev/null 2>&1 || packages+=(busybox-static)
command -v curl >/dev/null || packages+=(curl)
command -v node >/dev/null || packages+=(nodejs npm)
if $for_tests; then
  # The dashboard's browser tests drive Debian's Chromium through playwright-core.
  command -v chromium >/dev/null || packages+=(chromium)
  # The remote storage profile: sshfs on compute nodes; the tests run their own sshd as storage node.
  command -v sshfs >/dev/null || packages+=(sshfs)
  command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || packages+=(openssh-server)
  # The test storage node is set up by scripts/storage-node, whose admin account runs its helper through sudo.
  command -v sudo >/dev/null || packages+=(sudo)
  # Multi-node tests: a registry on the management node, curl for the outside client, and
  # systemd-analyze to verify the generated unit files (systemd is not run).
  command -v docker-registry >/dev/null || packages+=(docker-registry)
  command -v systemd-analyze >/dev/null || packages+=(systemd)
  command -v nsenter >/dev/null || packages+=(util-linux)
  # The one-line join under a real systemd (test/e2e/agent-join-systemd.test.ts): a Debian root
  # made by mmdebstrap (cached in /var/cache/berth), booted with systemd-nspawn.
  command -v systemd-nspawn >/dev/null || packages+=(systemd-container)
  command -v mmdebstrap >/dev/null || packages+=(mmdebstrap)
  if ! command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    packages+=(postgresql)
  fi
fi
if ((${#packages[@]})); then
  log "installing ${packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# Debian 12's and Ubuntu 24.04's own nodejs are too old: say so now, not deep inside npm ci.
node scripts/check-node.mjs

log "starting the Docker engine"
as_root bash scripts/docker-engine.sh start

if $for_tests; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "starting PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
  # The store tests connect as postgres over TCP; a stock cluster wants a password there.
  if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1 </dev/null; then
    as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'berth'\"" </dev/null
    mkdir -p .berth
    echo 'postgresql://postgres:berth@127.0.0.1:5432/postgres' > .berth/test-pg-url
    log "PostgreSQL password set for the tests (URL in .berth/test-pg-url)"
  fi
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing npm dependencies (a minute or two)"
  # npm ci prints nothing until it is done; its http log says each package it fetches, which is
  # too much to show, so show a count now and then. Everything else it says passes through.
  npm ci --no-audit --no-fund --loglevel=http 2>&1 | awk '
    /^npm http / { if (/\.tgz/ && ++n % 50 == 0) { printf "    %d packages fetched\n", n; fflush() } next }
    { print; fflush() }
    END { if (n % 50) printf "    %d packages fetched\n", n }'
fi

log "building the local test images"
bash scripts/build-test-images.sh
log "ready"
