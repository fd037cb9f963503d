#!/usr/bin/env bash
# Installs an unpacked Berth release (npm run release) on this machine, as root:
#   ./install.sh [--prefix /opt/berth]
# Copies the release to PREFIX (unless it runs from there), links berth and berth-agent into
# /usr/local/bin and the systemd units into /etc/systemd/system, and creates the system user
# `berth` the controller's unit runs as. It enables nothing: on the management node
#   systemctl daemon-reload && systemctl enable --now berth-controller
# and on a compute node `berth-agent install --controller ... ` (see README.md) writes its unit.
# Needs Node.js (see package.json engines) and, on compute nodes, the Docker engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=/opt/berth
while (($#)); do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    *) echo "usage: $0 [--prefix DIR]" >&2; exit 2 ;;
  esac
done
command -v node >/dev/null || { echo "error: Node.js is not installed: Berth needs $(grep -o '"node": *"[^"]*"' "$here/package.json")" >&2; exit 1; }
node "$here/scripts/check-node.mjs"
if [[ $(realpath -m "$prefix") != "$here" ]]; then
  mkdir -p "$prefix"
  cp -a "$here/." "$prefix/"
fi
ln -sfn "$prefix/bin/berth" /usr/local/bin/berth
ln -sfn "$prefix/bin/berth-agent" /usr/local/bin/berth-agent
install -m 0644 "$prefix"/deploy/systemd/*.service /etc/systemd/system/
mkdir -p /usr/share/doc/berth && install -m 0644 "$prefix/README.md" /usr/share/doc/berth/README.md
id berth >/dev/null 2>&1 || useradd --system --home-dir /var/lib/berth --shell /usr/sbin/nologin berth
echo "installed $(berth version) in $prefix; next: systemctl daemon-reload && systemctl enable --now berth-controller"
