#!/usr/bin/env bash
# Durable QoS 1 side by side: Starling with each store (memory, SQLite synchronous=FULL and NORMAL, Redis with
# appendfsync always) against mosquitto with `persistence true` and NATS's MQTT listener (JetStream file store),
# all started here on 127.0.0.1, one at a time, with the same load: `starling bench --persistent`, so subscribers
# keep their sessions and a durable broker must store what is queued or in flight for them.
#   bench/durable/run.sh                 # 3 runs of each cell, 5 s after 1 s warm-up; medians
#   RUNS=5 DURATION=10 bench/durable/run.sh
# Prints a Markdown table (medians, with the min-max spread) and writes artifacts/durable/results.md and every run's JSON.
# A benchmark, not a test: scripts/test.sh does not run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/sbin:/sbin"
RUNS="${RUNS:-3}" DURATION="${DURATION:-5}" WARMUP="${WARMUP:-1}"
BROKERS="${BROKERS:-starling-memory starling-sqlite-full starling-sqlite-normal starling-redis mosquitto-persistent nats-jetstream}"
SCENARIOS="${SCENARIOS:-p2p fanin}"
out=artifacts/durable
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
dotnet build src/Starling.Server/Starling.Server.csproj -c Release --nologo -v q -clp:ErrorsOnly
dotnet build src/Starling.Cli/Starling.Cli.csproj -c Release --nologo -v q -clp:ErrorsOnly
server=src/Starling.Server/bin/Release/net10.0/starling-server.dll
bench=src/Starling.Cli/bin/Release/net10.0/starling.dll
port=18831

wait_port() { for _ in $(seq 1 200); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; return 1; }

# start_broker NAME DIR: starts the broker on $port with a fresh data directory, sets $pids.
start_broker() {
  local name=$1 dir=$2; pids=()
  local starling=(dotnet "$server" --port "$port" --bind 127.0.0.1 --Starling:MaximumQueuedMessages=1000000 --Logging:LogLevel:Default=Warning)
  case $name in
    starling-memory) "${starling[@]}" --Starling:Storage:Type=memory >"$dir/log" 2>&1 & pids+=($!) ;;
    starling-sqlite-full) "${starling[@]}" --Starling:Storage:Path="$dir/data" >"$dir/log" 2>&1 & pids+=($!) ;;
    starling-sqlite-normal) "${starling[@]}" --Starling:Storage:Path="$dir/data" --Starling:Storage:Synchronous=Normal >"$dir/log" 2>&1 & pids+=($!) ;;
    starling-redis)
      redis-server --port 16390 --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync always --save "" >"$dir/redis.log" 2>&1 & pids+=($!)
      wait_port 16390
      "${starling[@]}" --Starling:Storage:Type=redis --Starling:Storage:Redis:Configuration=127.0.0.1:16390 >"$dir/log" 2>&1 & pids+=($!) ;;
    mosquitto-persistent)
      printf '%s\n' "listener $port 127.0.0.1" "allow_anonymous true" "max_queued_messages 0" "set_tcp_nodelay true" \
        "persistence true" "persistence_location $dir/" "log_dest stderr" "log_type error" >"$dir/mosquitto.conf"
      mosquitto -c "$dir/mosquitto.conf" >"$dir/log" 2>&1 & pids+=($!) ;;
    nats-jetstream)
      printf '%s\n' "server_name: durable_bench" "listen: 127.0.0.1:14222" "jetstream { store_dir: \"$dir/js\" }" "mqtt { listen: 127.0.0.1:$port }" >"$dir/nats.conf"
      nats-server -c "$dir/nats.conf" >"$dir/log" 2>&1 & pids+=($!) ;;
    *) echo "unknown broker $name" >&2; exit 2 ;;
  esac
  wait_port "$port"
}

for run in $(seq 1 "$RUNS"); do
  for name in $BROKERS; do
    for scenario in $SCENARIOS; do
      dir="$work/$name-$scenario-$run"; mkdir -p "$dir"
      start_broker "$name" "$dir"
      echo "run $run: $name $scenario" >&2
      dotnet "$bench" bench "$scenario" -h 127.0.0.1 -p "$port" --clients 10 -q 1 --size 64 --inflight 100 --persistent \
        --duration "$DURATION" --warmup "$WARMUP" --quiet --json >"$out/$name-$scenario-$run.json" 2>"$out/$name-$scenario-$run.err" || echo "  failed: $(tail -1 "$out/$name-$scenario-$run.err")" >&2
      kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true
    done
  done
done

python3 - "$out" "$BROKERS" "$SCENARIOS" "$RUNS" "$DURATION" <<'PY' | tee "$out/results.md"
import json, os, statistics, sys
out, brokers, scenarios, runs, duration = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4]), sys.argv[5]
def load(b, s):
    rows = []
    for r in range(1, runs + 1):
        p = f"{out}/{b}-{s}-{r}.json"
        try:
            rows.append(json.load(open(p)))
        except Exception:
            pass
    return rows
print(f"| broker | scenario | msg/s (median, min-max of {runs}) | p50 µs | p99 µs | lost |")
print("|---|---|---|---|---|---|")
medians = {}
for s in scenarios:
    for b in brokers:
        rows = load(b, s)
        if not rows:
            print(f"| {b} | {s} | failed | | | |"); continue
        t = [r["throughput"] for r in rows]
        m = statistics.median(t); medians[(b, s)] = m
        p50 = statistics.median(r["latencyUs"]["p50"] for r in rows)
        p99 = statistics.median(r["latencyUs"]["p99"] for r in rows)
        lost = sum(r["lost"] for r in rows)
        print(f"| {b} | {s} | {m:,.0f} ({min(t):,.0f}-{max(t):,.0f}) | {p50:,.0f} | {p99:,.0f} | {lost} |")
print()
for s in scenarios:
    base = medians.get(("starling-memory", s))
    if base:
        print(f"- {s}: " + ", ".join(f"{b} {medians[(b, s)] / base:.2f}x" for b in brokers if (b, s) in medians and b != "starling-memory") + " of starling-memory")
PY
