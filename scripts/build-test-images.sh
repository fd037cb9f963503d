#!/usr/bin/env bash
# Builds the tiny images the tests use, offline: a busybox-static rootfs piped to `docker import`
# (no registry, no base image, no internet). Idempotent; --force rebuilds.
set -euo pipefail

BUSYBOX=${BUSYBOX:-/bin/busybox}
FORCE=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
  esac
done

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

ROOTFS=""
cleanup() { if [[ -n $ROOTFS ]]; then rm -rf "$ROOTFS"; fi; }
trap cleanup EXIT

make_rootfs() {
  ROOTFS=$(mktemp -d /tmp/berth-rootfs.XXXXXX)
  mkdir -p "$ROOTFS"/{bin,etc,tmp,www,proc,sys,dev}
  chmod 1777 "$ROOTFS/tmp"
  cp "$BUSYBOX" "$ROOTFS/bin/busybox"
  # Every applet the binary knows becomes a command, so tests can exec sh/nc/wget/... freely.
  local applet
  while read -r applet; do
    [[ $applet == busybox ]] || ln -sf busybox "$ROOTFS/bin/$applet"
  done < <("$BUSYBOX" --list)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ROOTFS/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"
  printf 'berth ok\n' >"$ROOTFS/www/index.html"
}

import_image() {
  local name=$1; shift
  if [[ $FORCE -eq 0 ]] && image_exists "$name"; then
    echo "build-test-images: $name exists"
    return 0
  fi
  [[ -n $ROOTFS ]] || make_rootfs
  tar -C "$ROOTFS" -c . | docker import "$@" - "$name" >/dev/null
  echo "build-test-images: built $name"
}

[[ -x $BUSYBOX ]] || { echo "build-test-images: $BUSYBOX missing (apt-get install busybox-static)" >&2; exit 1; }

import_image berth-test/httpd:1 \
  -c 'CMD ["/bin/httpd","-f","-p","80","-h","/www"]' -c 'EXPOSE 80'
# The trap makes `docker stop` end it at once instead of waiting for the kill timeout.
import_image berth-test/sleeper:1 \
  -c 'CMD ["/bin/sh","-c","trap \"exit 0\" TERM INT; while true; do sleep 3600 & wait $!; done"]'
