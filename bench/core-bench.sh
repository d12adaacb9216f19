#!/usr/bin/env bash
# What Iris adds over calling an OpenAI-compatible upstream directly, measured with the shared
# peer-bench harness (../shared/bench): small text, 100 KB / 1 MB / 5 MB images, streaming;
# req/s, p50/p99, added latency, time to first byte, RSS. Iris runs as a pure gateway (engine
# off), pinned to CPU 1; the harness pins its load generator and fake upstream to CPU 0.
#
#   bench/core-bench.sh                                  # full matrix (~15 min)
#   DURATION=3 WARMUP=1 LATENCIES=0 bench/core-bench.sh  # quicker
#   PEER=portkey bench/core-bench.sh                     # the same matrix against Portkey
#   BASELINE=bare bench/core-bench.sh                    # ... against a do-nothing Node proxy (the floor)
#
# Needs wrk (apt-get install -y wrk). Results land in bench/results/<timestamp>/summary.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED_BENCH:-"$ROOT/../shared/bench"}
HARNESS=${HARNESS_DIR:-"${TMPDIR:-/tmp}/iris-bench-harness"}
PORT=${IRIS_BENCH_PORT:-18088}
UPSTREAM_PORT=${UPSTREAM_PORT:-18080}
export PATH="$ROOT/node_modules/.bin:$PATH"

# The harness is copied out of shared/ so its npm install never writes there.
if [[ ! -d "$HARNESS/node_modules/jpeg-js" ]]; then
  rm -rf "$HARNESS" && cp -r "$SHARED" "$HARNESS" && rm -rf "$HARNESS/node_modules" "$HARNESS/results"
  (cd "$HARNESS" && npm ci --silent)
fi
RUN_DIR=${RUN_DIR:-"$HERE/results/$(date +%Y%m%d-%H%M%S)"}
mkdir -p "$RUN_DIR"
export RUN_DIR

if [[ "${PEER:-}" != "" ]]; then
  exec "$HARNESS/run-bench.sh"
fi

if [[ "${BASELINE:-}" == "bare" ]]; then
  # The floor: a do-nothing Node proxy (bench/bare-proxy.mjs) on the same CPU Iris would get.
  taskset -c "${GATEWAY_CPUS:-1}" node "$HERE/bare-proxy.mjs" "$PORT" "http://127.0.0.1:$UPSTREAM_PORT" >"$RUN_DIR/bare.log" 2>&1 &
  BARE_PID=$!
  trap 'kill $BARE_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do grep -q "bare proxy on" "$RUN_DIR/bare.log" 2>/dev/null && break; sleep 0.1; done
  GATEWAY_URL="http://127.0.0.1:$PORT/v1/chat/completions" GATEWAY_PID=$BARE_PID GATEWAY_NAME=bare-proxy \
    UPSTREAM_PORT=$UPSTREAM_PORT "$HARNESS/run-bench.sh"
  echo "summary: $RUN_DIR/summary.md"
  exit 0
fi

# shellcheck source=iris-gateway.sh
source "$HERE/iris-gateway.sh"
CONF="$RUN_DIR/iris.bench.yaml"
write_gateway_config "$CONF" "$UPSTREAM_PORT"
KEY="sk-iris-bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# Exactly what `npm start` runs (its environment and Node flags), pinned to the gateway CPU.
read_start_command "$ROOT"
IRIS_CONFIG="$CONF" IRIS_API_KEYS="$KEY" IRIS_DATA_DIR="$RUN_DIR/data" HOST=127.0.0.1 PORT=$PORT \
  bash -c 'cd "$0" && exec taskset -c "$1" env "${@:2}"' "$ROOT" "${GATEWAY_CPUS:-1}" "${START_ENV[@]}" "${START_CMD[@]}" >"$RUN_DIR/iris.log" 2>&1 &
IRIS_PID=$!
trap 'kill $IRIS_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done

GATEWAY_URL="http://127.0.0.1:$PORT/v1/chat/completions" GATEWAY_AUTH_HEADER="Authorization: Bearer $KEY" \
  GATEWAY_PID=$IRIS_PID GATEWAY_NAME=iris UPSTREAM_PORT=$UPSTREAM_PORT "$HARNESS/run-bench.sh"
echo "summary: $RUN_DIR/summary.md"
