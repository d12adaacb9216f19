#!/usr/bin/env bash
# Where the time of one small request goes at c=1, phase by phase, from the system calls of the
# gateway and the fake upstream (perf tracepoints: a few µs of overhead each, unlike strace).
# It shows which part of the added latency is the gateway's own CPU on the critical path (the
# "in" and "out" phases) and which is waiting (wake-ups of halted vCPUs, the upstream's work).
#
#   bench/syscall-phases.sh                  # Iris, as `npm start` runs it
#   BASELINE=bare bench/syscall-phases.sh    # the do-nothing proxy (bench/bare-proxy.mjs)
#
# Pinned as core-bench.sh pins: wrk and the fake upstream on CPU 0, the gateway on CPU 1.
# Needs perf and wrk (apt-get install -y linux-perf wrk) and the right to trace (root).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED_BENCH:-"$ROOT/../shared/bench"}
export PATH="$ROOT/node_modules/.bin:$PATH"
PORT=${IRIS_BENCH_PORT:-18288}
UPSTREAM_PORT=${UPSTREAM_PORT:-18280}
WARMUP=${WARMUP:-4}
TRACE=${TRACE:-2}
[[ -f "$SHARED/fake-upstream.mjs" ]] || { echo "no fake upstream in $SHARED: set SHARED_BENCH to ../shared/bench" >&2; exit 1; }
command -v perf >/dev/null && command -v wrk >/dev/null || { echo "needs perf and wrk (apt-get install -y linux-perf wrk)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/iris-phases-XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

taskset -c 0 node "$SHARED/fake-upstream.mjs" --port "$UPSTREAM_PORT" >"$WORK/upstream.log" 2>&1 &
UPSTREAM=$!
PIDS+=($UPSTREAM)

# shellcheck source=iris-gateway.sh
source "$HERE/iris-gateway.sh"
KEY="sk-iris-phases-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
if [[ "${BASELINE:-}" == "bare" ]]; then
  NAME=bare-proxy
  taskset -c 1 node "$HERE/bare-proxy.mjs" "$PORT" "http://127.0.0.1:$UPSTREAM_PORT" >"$WORK/gateway.log" 2>&1 &
else
  NAME=iris
  write_gateway_config "$WORK/iris.yaml" "$UPSTREAM_PORT"
  read_start_command "$ROOT"
  (cd "$ROOT" && IRIS_CONFIG="$WORK/iris.yaml" IRIS_API_KEYS="$KEY" IRIS_DATA_DIR="$WORK/data" HOST=127.0.0.1 PORT=$PORT \
    exec taskset -c 1 env "${START_ENV[@]}" "${START_CMD[@]}") >"$WORK/gateway.log" 2>&1 &
fi
GATEWAY=$!
PIDS+=($GATEWAY)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done

# The small-text request of instructions-client.mjs.
printf '%s' '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a concise assistant."},{"role":"user","content":"In one short sentence, what is the capital of France and why is it famous?"}],"max_tokens":64,"temperature":0.2}' >"$WORK/body.json"
BODY_FILE="$WORK/body.json" EXTRA_HEADERS="Authorization: Bearer $KEY" \
  taskset -c 0 wrk -t1 -c1 -d"$((WARMUP + TRACE + 1))s" -s "$SHARED/wrk-post.lua" "http://127.0.0.1:$PORT/v1/chat/completions" >"$WORK/wrk.txt" &
LOAD=$!
sleep "$WARMUP"
perf record -q -o "$WORK/trace.perf" -p "$GATEWAY,$UPSTREAM" \
  -e 'syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_pwait' sleep "$TRACE" >/dev/null 2>&1
wait "$LOAD"
echo "$NAME, small text, c=1, traced for ${TRACE}s after ${WARMUP}s of warm-up (wrk, whole run: $(grep -o '"rps":[0-9.]*\|"p50_us":[0-9.]*' "$WORK/wrk.txt" | tr '\n' ' '))"
perf script -i "$WORK/trace.perf" -F pid,time,event,trace 2>/dev/null | node "$HERE/syscall-phases.mjs" "$GATEWAY" "$UPSTREAM"
