#!/usr/bin/env bash
# Starts/stops the Debian docker.io engine on the default socket. There is no systemd on these
# machines, so the daemon is run by hand; CI installs the packages, this script installs nothing.
set -euo pipefail

SOCK=/var/run/docker.sock
PIDFILE=/var/run/docker.pid
LOG=/var/log/berth-dockerd.log
DATA_ROOT=/var/lib/docker
LOCK=/var/run/berth-dockerd.lock
WAIT_SECONDS=${BERTH_DOCKERD_WAIT_SECONDS:-60}

usage() { echo "usage: $0 start|stop|status" >&2; exit 2; }

engine_answers() { docker -H "unix://$SOCK" info >/dev/null 2>&1; }

pid_alive() {
  [[ -f $PIDFILE ]] || return 1
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  # A stale pidfile may name a recycled pid; only a live dockerd counts.
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]]
}

launch() {
  command -v dockerd >/dev/null || { echo "docker-engine: dockerd not installed (apt-get install docker.io)" >&2; exit 1; }
  rm -f "$PIDFILE"
  mkdir -p "$DATA_ROOT" "$(dirname "$LOG")"
  # setsid detaches the daemon from the caller's process group so it outlives this script.
  # Log rotation as a production engine has it (README, "Engine set-up on a compute node").
  setsid dockerd --data-root "$DATA_ROOT" -H "unix://$SOCK" --pidfile "$PIDFILE" \
    --log-driver json-file --log-opt max-size=10m --log-opt max-file=3 \
    >>"$LOG" 2>&1 </dev/null 9>&- &
}

start() {
  # Serialise concurrent callers so two test runs never start two daemons on one socket.
  exec 9>"$LOCK"
  flock -w "$WAIT_SECONDS" 9 || { echo "docker-engine: could not take $LOCK" >&2; exit 1; }
  if engine_answers; then
    echo "docker-engine: already running"
    return 0
  fi
  local deadline=$((SECONDS + WAIT_SECONDS)) launched=0
  until engine_answers; do
    # A daemon that is still shutting down holds the pidfile without answering: wait for it to
    # go, then start ours (once).
    if ((launched == 0)) && ! pid_alive; then
      launch
      launched=1
    fi
    if ((SECONDS >= deadline)); then
      echo "docker-engine: engine did not answer within ${WAIT_SECONDS}s; see $LOG" >&2
      tail -n 20 "$LOG" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "docker-engine: running (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
}

stop() {
  if ! pid_alive; then
    echo "docker-engine: not running (no live pid in $PIDFILE)"
    return 0
  fi
  local pid deadline
  pid=$(cat "$PIDFILE")
  kill -TERM "$pid"
  deadline=$((SECONDS + WAIT_SECONDS))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "docker-engine: pid $pid still alive after ${WAIT_SECONDS}s" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "docker-engine: stopped"
}

status() {
  if engine_answers; then
    echo "docker-engine: running"
  else
    echo "docker-engine: not running"
    return 3
  fi
}

[[ $# -eq 1 ]] || usage
case $1 in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
