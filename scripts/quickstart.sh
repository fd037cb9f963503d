#!/usr/bin/env bash
# Quick start: sets everything up, starts `berth dev` (controller on SQLite + agent for the local
# Docker engine + API), reserves the example web server, prints its endpoint and stays in the
# foreground. Ctrl-C stops Berth and keeps its data (~/.berth or $BERTH_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH_SETUP=runtime bash scripts/setup.sh

port=${BERTH_PORT:-7070}
mkdir -p .berth
dev_pid=""
if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
  echo "==> berth dev already answers on port $port; using it"
else
  echo "==> starting berth dev (log: .berth/dev.log)"
  # The bin itself, not npx: the trap below must signal the process that handles SIGINT.
  controller/bin/berth.cjs dev --port "$port" >.berth/dev.log 2>&1 &
  dev_pid=$!
  trap '[[ -n $dev_pid ]] && kill -INT "$dev_pid" 2>/dev/null; wait "$dev_pid" 2>/dev/null || true' INT TERM
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && grep -q 'Berth dev is running' .berth/dev.log && break
    kill -0 "$dev_pid" 2>/dev/null || { echo "berth dev exited:" >&2; tail -n 20 .berth/dev.log >&2; exit 1; }
    sleep 0.5
  done
fi

npx berth apply -f examples/quickstart.yaml
for _ in $(seq 1 120); do
  endpoint=$(npx berth get reservation demo -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);process.stdout.write(r.status.phase==="Running"&&r.status.endpoints[0]?r.status.endpoints[0].address:"")})')
  [[ -n $endpoint ]] && break
  sleep 0.5
done
[[ -n ${endpoint:-} ]] || { echo "the demo reservation did not reach Running; see: npx berth describe reservation demo" >&2; exit 1; }
npx berth get reservations
echo
echo "demo is running at http://$endpoint/  ->  $(curl -s "http://$endpoint/")"
echo "Try: npx berth describe reservation demo | npx berth get nodes -o wide | npx berth delete reservation demo"
if [[ -n $dev_pid ]]; then
  echo "berth dev runs in the foreground; Ctrl-C stops it (data and containers are kept)."
  wait "$dev_pid"
fi
