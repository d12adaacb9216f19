#!/usr/bin/env bash
# CPU instructions Iris spends per request, counted by valgrind's callgrind. Wall-clock figures on
# a shared VM move by ±15 % from run to run; an instruction count does not depend on what else the
# machine is doing, so this is the number to compare before and after a change to the hot path.
#
#   bench/instructions.sh                    # small text and stream, 300 requests each, c=1
#   KINDS=small REQUESTS=1000 bench/instructions.sh
#   BASELINE=bare bench/instructions.sh      # the do-nothing proxy (bench/bare-proxy.mjs): the floor
#
# Iris runs exactly as `npm start` runs it (same Node flags), under valgrind (~50× slower), as a
# pure gateway in front of the shared fake upstream. After WARMUP requests (JIT settled) the
# counters are zeroed, REQUESTS more are sent one at a time, and the count is read. The client and
# the fake upstream run outside valgrind, so only the gateway's instructions are counted.
# Needs valgrind (on every machine here; else apt-get install -y valgrind).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED_BENCH:-"$ROOT/../shared/bench"}
export PATH="$ROOT/node_modules/.bin:$PATH"
# valgrind and callgrind_control name their shared pipe after $USER and $HOST, so both must see
# the same values; HOST is also the address Iris listens on.
export USER=${USER:-$(id -un)} HOST=127.0.0.1
KINDS=${KINDS:-"small stream"}
WARMUP=${WARMUP:-1500}
REQUESTS=${REQUESTS:-300}
PORT=${IRIS_BENCH_PORT:-18188}
UPSTREAM_PORT=${UPSTREAM_PORT:-18180}
[[ -f "$SHARED/fake-upstream.mjs" ]] || { echo "no fake upstream in $SHARED: set SHARED_BENCH to ../shared/bench" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/iris-instructions-XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

node "$SHARED/fake-upstream.mjs" --port "$UPSTREAM_PORT" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$UPSTREAM_PORT/health" && break; sleep 0.1; done

# shellcheck source=iris-gateway.sh
source "$HERE/iris-gateway.sh"
read_start_command "$ROOT"
START_CMD[0]=$(command -v "${START_CMD[0]}") # valgrind wants a path to the node binary

KEY="sk-iris-instructions-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
if [[ "${BASELINE:-}" == "bare" ]]; then
  NAME=bare-proxy
  CMD=("${START_CMD[0]}" "$HERE/bare-proxy.mjs" "$PORT" "http://127.0.0.1:$UPSTREAM_PORT")
else
  NAME=iris
  write_gateway_config "$WORK/iris.yaml" "$UPSTREAM_PORT"
  CMD=("${START_CMD[@]}")
fi

# --smc-check: V8 writes and rewrites machine code on the heap, which valgrind must notice.
(cd "$ROOT" && exec env "${START_ENV[@]}" IRIS_CONFIG="$WORK/iris.yaml" IRIS_API_KEYS="$KEY" IRIS_DATA_DIR="$WORK/data" PORT="$PORT" \
  valgrind --tool=callgrind --smc-check=all-non-file --collect-atstart=yes \
  --callgrind-out-file="$WORK/callgrind.%p" "${CMD[@]}") >"$WORK/gateway.log" 2>&1 &
GATEWAY=$!
PIDS+=($GATEWAY)
for _ in $(seq 1 600); do
  curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/v1/chat/completions" && break
  kill -0 "$GATEWAY" 2>/dev/null || { cat "$WORK/gateway.log"; exit 1; }
  sleep 0.5
done

echo "$NAME: $WARMUP warm-up + $REQUESTS counted requests per kind, c=1, under callgrind"
for kind in $KINDS; do
  node "$HERE/instructions-client.mjs" "http://127.0.0.1:$PORT/v1/chat/completions" "$KEY" "$kind" "$WARMUP"
  callgrind_control -z "$GATEWAY" >/dev/null 2>&1
  node "$HERE/instructions-client.mjs" "http://127.0.0.1:$PORT/v1/chat/completions" "$KEY" "$kind" "$REQUESTS"
  OUT=$(callgrind_control -d "$kind" "$GATEWAY" >/dev/null 2>&1 && sleep 1 && ls -t "$WORK"/callgrind.* | head -1)
  TOTAL=$(sed -n 's/^summary: //p;s/^totals: //p' "$OUT" | head -1)
  # The main thread runs the event loop and every line of JavaScript; the rest is V8's helper
  # threads (concurrent compilers, GC), whose share moves with JIT and GC timing.
  MAIN=$(callgrind_annotate --inclusive=yes --threshold=100 "$OUT" 2>/dev/null | awk '/\(below main\) \[.*libc/ { if (!done) { gsub(",", "", $1); print $1; done = 1 } }')
  awk -v t="$TOTAL" -v m="${MAIN:-0}" -v n="$REQUESTS" -v k="$kind" \
    'BEGIN { printf "  %-6s %8.0f instructions per request: %8.0f on the main thread, %8.0f on helper threads\n", k, t / n, m / n, (t - m) / n }'
  [[ -n "${KEEP:-}" ]] && cp "$OUT" "${KEEP}.$kind" && echo "  profile: ${KEEP}.$kind (callgrind_annotate it)"
done
