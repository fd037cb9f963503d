#!/bin/sh
# Berth agent installer, served by the controller at /install/agent.sh with the values below filled
# in. On a compute node, as root:
#   curl -fsS --cacert berth-ca.crt https://MGMT:PORT/install/agent.sh | sh -s -- --token TOKEN [--node-name N]
#   curl -fsS --cacert berth-ca.crt https://MGMT:PORT/install/agent.sh | sh -s -- --uninstall
# POSIX sh (dash): no bash-isms. Every failure is one line on stderr and a non-zero exit, before
# anything is changed where it can be checked first.
set -eu

# Filled in by the controller (controller/src/install/render-install-script.ts).
BERTH_VERSION='@@VERSION@@'
API_URL='@@API_URL@@'
CONTROLLER_HOST='@@CONTROLLER_HOST@@'
GRPC_PORT='@@GRPC_PORT@@'
# SHA-256 of the controller's agent-stream certificate: the K10<fingerprint>:: part of its join tokens.
FINGERPRINT='@@FINGERPRINT@@'
BUNDLE_SHA256='@@BUNDLE_SHA256@@'
# The CA the API's certificate chains to (empty: plain HTTP on loopback, or a publicly trusted one).
CA_PEM='@@CA_PEM@@'

# What install creates, and so what uninstall removes (nothing else).
PREFIX=/usr/local/lib/berth-agent
UNIT=/etc/systemd/system/berth-agent.service
ENV_FILE=/etc/berth/agent.env
UNINSTALLER=/usr/local/bin/berth-agent-uninstall.sh
STATE_DIR=/var/lib/berth-agent

USAGE='usage: sh -s -- --token K10<fingerprint>::<id>.<secret> [--node-name NAME] [--address IP] [--controller HOST:PORT] [--docker-host URL] | --uninstall'

fail() {
  echo "berth-agent install: $*" >&2
  exit 1
}

need_value() {
  if [ "$#" -lt 2 ] || [ -z "$2" ]; then fail "$1 needs a value ($USAGE)"; fi
}

parse_args() {
  TOKEN=''
  NODE_NAME=''
  ADDRESS=''
  CONTROLLER=''
  DOCKER_HOST_URL=''
  UNINSTALL=0
  while [ "$#" -gt 0 ]; do
    case $1 in
      --token) need_value "$@"; TOKEN=$2; shift 2 ;;
      --node-name) need_value "$@"; NODE_NAME=$2; shift 2 ;;
      --address) need_value "$@"; ADDRESS=$2; shift 2 ;;
      --controller) need_value "$@"; CONTROLLER=$2; shift 2 ;;
      --docker-host) need_value "$@"; DOCKER_HOST_URL=$2; shift 2 ;;
      --uninstall) UNINSTALL=1; shift ;;
      -h | --help) echo "$USAGE"; exit 0 ;;
      *) fail "unknown argument '$1' ($USAGE)" ;;
    esac
  done
}

# The uninstaller is written by install as $UNINSTALLER; --uninstall runs the same text.
write_uninstaller() {
  cat >"$1" <<UNINSTALL_EOF
#!/bin/sh
# Removes what the Berth agent installer created (berth $BERTH_VERSION), and nothing else: the unit,
# its environment file, the agent's files, its state (node identity) and this script. Containers
# the agent started stay in the engine: drain the node first (berth cordon/drain) if they must go.
set -eu
[ "\$(id -u)" = 0 ] || { echo "berth-agent uninstall: run as root" >&2; exit 1; }
if [ -d /run/systemd/system ]; then
  systemctl disable --now berth-agent.service >/dev/null 2>&1 || true
fi
rm -f '$UNIT' '$ENV_FILE'
rmdir /etc/berth 2>/dev/null || true
[ -d /run/systemd/system ] && systemctl daemon-reload
rm -rf '$PREFIX' '$STATE_DIR'
rm -f '$UNINSTALLER'
echo "berth-agent uninstalled"
UNINSTALL_EOF
}

uninstall() {
  [ "$(id -u)" = 0 ] || fail "run as root (uninstall removes a systemd unit)"
  tmp=$(mktemp)
  write_uninstaller "$tmp"
  status=0
  sh "$tmp" || status=$?
  rm -f "$tmp"
  exit "$status"
}

check() {
  [ "$(id -u)" = 0 ] || fail "run as root (the agent is a systemd service): ... | sudo sh -s -- --token ..."
  [ -d /run/systemd/system ] || fail "systemd is not running on this machine (PID 1 is $(cat /proc/1/comm 2>/dev/null || echo unknown)): the agent is installed as a systemd service"
  [ -n "$TOKEN" ] || fail "missing --token ($USAGE)"
  case $TOKEN in
    K10*::*) ;;
    *) fail "bad --token: expected K10<fingerprint>::<id>.<secret>, as 'berth token create' prints it" ;;
  esac
  token_fp=${TOKEN#K10}
  token_fp=${token_fp%%::*}
  [ "$token_fp" = "$FINGERPRINT" ] ||
    fail "the token is not for this controller: its fingerprint ${token_fp} is not this controller's ${FINGERPRINT} (a token of another cluster, or the script came from another controller)"

  command -v node >/dev/null 2>&1 || fail "Node.js is not installed: the agent needs Node.js ^20.19.0 || ^22.12.0 || >=24.0.0 (https://nodejs.org or your distribution's nodejs package, if recent enough)"
  node_version=$(node -p 'process.versions.node' 2>/dev/null) || fail "'node' does not run"
  node_major=${node_version%%.*}
  node_minor=${node_version#*.}
  node_minor=${node_minor%%.*}
  node_ok=0
  case $node_major in
    20) [ "$node_minor" -ge 19 ] && node_ok=1 ;;
    22) [ "$node_minor" -ge 12 ] && node_ok=1 ;;
    *) [ "$node_major" -ge 24 ] 2>/dev/null && node_ok=1 ;;
  esac
  [ "$node_ok" = 1 ] || fail "Node.js $node_version is too old: the agent needs ^20.19.0 || ^22.12.0 || >=24.0.0"

  if [ -n "$DOCKER_HOST_URL" ]; then
    case $DOCKER_HOST_URL in
      unix://*) [ -S "${DOCKER_HOST_URL#unix://}" ] || fail "no Docker engine: ${DOCKER_HOST_URL#unix://} is not a socket" ;;
    esac
  else
    [ -S /var/run/docker.sock ] || fail "no Docker engine: /var/run/docker.sock is not a socket (install and start Docker, or pass --docker-host URL)"
  fi
  for tool in curl sha256sum tar gzip ip; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is not installed"
  done

  [ -n "$CONTROLLER" ] || CONTROLLER="$CONTROLLER_HOST:$GRPC_PORT"
  [ -n "$NODE_NAME" ] || NODE_NAME=$(tr '[:upper:]' '[:lower:]' </proc/sys/kernel/hostname)
  if [ -z "$ADDRESS" ]; then
    # The address this node reaches the controller from: what the controller will see and publish.
    host=${CONTROLLER%:*}
    host=${host#[}
    host=${host%]}
    ip=$(getent ahosts "$host" 2>/dev/null | awk 'NR == 1 { print $1 }') || ip=''
    [ -n "$ip" ] || ip=$host
    ADDRESS=$(ip -o route get "$ip" 2>/dev/null | sed -n 's/.* src \([^ ]*\).*/\1/p')
    [ -n "$ADDRESS" ] || fail "cannot tell this node's address towards $host: pass --address IP"
  fi
}

# `berth-agent install` from the file $1 with the settings, and any more arguments ($2...).
agent_install() {
  agent=$1
  shift
  [ -z "$DOCKER_HOST_URL" ] || set -- "$@" --docker-host "$DOCKER_HOST_URL"
  node "$agent" install "$@" --controller "$CONTROLLER" --join-token "$TOKEN" --node-name "$NODE_NAME" --address "$ADDRESS" >/dev/null
}

download() {
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  set -- -fsS --proto '=https,http' -o "$tmp/agent.tar.gz"
  if [ -n "$CA_PEM" ]; then
    # Only the controller's CA, not the system's store: the bundle must come from this controller.
    printf '%s\n' "$CA_PEM" >"$tmp/ca.crt"
    set -- "$@" --cacert "$tmp/ca.crt"
  fi
  curl "$@" "$API_URL/install/berth-agent.tar.gz" || fail "cannot download the agent from $API_URL/install/berth-agent.tar.gz"
  got=$(sha256sum "$tmp/agent.tar.gz" | awk '{ print $1 }')
  [ "$got" = "$BUNDLE_SHA256" ] || fail "the downloaded agent's SHA-256 is $got, not $BUNDLE_SHA256 as the controller announced: not installing it"
  mkdir "$tmp/agent"
  tar -xzf "$tmp/agent.tar.gz" -C "$tmp/agent" || fail "cannot unpack the agent bundle"
  [ -f "$tmp/agent/berth-agent.mjs" ] || fail "the agent bundle holds no berth-agent.mjs"
  # The agent checks its settings as it will at every start; a rehearsal under $tmp, so that a bad
  # one (its own one-line message) stops the install before anything is changed.
  agent_install "$tmp/agent/berth-agent.mjs" --root "$tmp/rehearsal" || exit 2
}

install() {
  if [ -d /run/systemd/system ] && systemctl is-active --quiet berth-agent.service; then
    systemctl stop berth-agent.service
  fi
  rm -rf "$PREFIX"
  mkdir -p "$(dirname "$PREFIX")"
  cp -R "$tmp/agent" "$PREFIX"
  chmod -R go-w "$PREFIX"
  # The agent renders its own unit and environment file (the token goes only there, mode 0600).
  agent_install "$PREFIX/berth-agent.mjs"
  write_uninstaller "$UNINSTALLER"
  chmod 0755 "$UNINSTALLER"
  systemctl daemon-reload
  systemctl enable --quiet berth-agent.service
  systemctl restart berth-agent.service
  echo "berth-agent $BERTH_VERSION installed: node $NODE_NAME ($ADDRESS) joins $CONTROLLER; service berth-agent enabled and started; uninstall with $UNINSTALLER"
}

# Nothing runs before the whole script has arrived: a download cut short defines functions at
# most, and an early exit does not leave curl writing into a closed pipe.
main() {
  parse_args "$@"
  if [ "$UNINSTALL" = 1 ]; then
    uninstall # exits
  fi
  check
  download
  install
}

main "$@"
