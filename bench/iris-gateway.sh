# Sourced by the benchmarks that start Iris (core-bench.sh, instructions.sh): Iris as a pure
# gateway in front of the shared fake upstream, started as `npm start` starts it.

# write_gateway_config FILE UPSTREAM_PORT: engine off, one model on the fake upstream, which
# fetches any image URL itself; warn-level logs, so logging is not what is measured.
write_gateway_config() {
  cat >"$1" <<YAML
server: { log_level: warn }
engine: { enabled: false }
providers:
  bench: { type: openai, base_url: http://127.0.0.1:$2/v1, fetch_urls: upstream }
models:
  - { name: gpt-4o-mini, provider: bench }
YAML
}

# read_start_command ROOT: what `npm start` runs, as START_ENV (its VAR=value words) and
# START_CMD (node, its flags, src/main.ts), without the `exec` and `env` words meant for npm's shell.
read_start_command() {
  local words
  read -r -a words <<<"$(cd "$1" && node -p 'require("./package.json").scripts.start')"
  [[ "${words[0]}" == exec ]] && words=("${words[@]:1}")
  [[ "${words[0]}" == env ]] && words=("${words[@]:1}")
  START_ENV=()
  while [[ "${words[0]}" == *=* ]]; do START_ENV+=("${words[0]}"); words=("${words[@]:1}"); done
  START_CMD=("${words[@]}")
}
