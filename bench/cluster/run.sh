#!/usr/bin/env bash
# The cluster's costs, side by side in one run: Starling alone against Starling nodes joined through a real
# nats-server (JetStream in a temporary folder), all on 127.0.0.1. Cells, each `starling bench p2p` with 10 pairs, 64 B:
#   single-*        one broker, no cluster
#   cross-*         two nodes: publishers on node1, subscribers on node2 (every message crosses NATS)
#   local-N         N nodes, publishers and subscribers all on node1 (does node-local traffic slow as nodes join?)
# "-paced" cells publish 200 msg/s per publisher (2,000 msg/s in all) for unloaded latency; the others go full speed.
#   bench/cluster/run.sh                      # 3 runs per cell, 5 s after 3 s warm-up; medians
#   RUNS=5 DURATION=10 QOS=1 bench/cluster/run.sh
# Prints a Markdown table and writes artifacts/cluster-bench/results.md and every run's JSON.
# A benchmark, not a test: scripts/test.sh does not run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${RUNS:-3}" DURATION="${DURATION:-5}" WARMUP="${WARMUP:-3}" QOS="${QOS:-0}"
CELLS="${CELLS:-single-paced cross-paced single cross local-1 local-2 local-3}"
out=artifacts/cluster-bench
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v nats-server >/dev/null 2>&1 || {
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null; fi; }
dotnet build src/Starling.Server/Starling.Server.csproj -c Release --nologo -v q -clp:ErrorsOnly
dotnet build src/Starling.Cli/Starling.Cli.csproj -c Release --nologo -v q -clp:ErrorsOnly
server=src/Starling.Server/bin/Release/net10.0/starling-server.dll
bench=src/Starling.Cli/bin/Release/net10.0/starling.dll
nats_port=14223

wait_port() { for _ in $(seq 1 200); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; return 1; }

# start NODES DIR: nats-server (when NODES > 0) and max(NODES, 1) brokers on 18841.., sets $pids.
start() {
  local nodes=$1 dir=$2 count=$1; pids=()
  local common=(--bind 127.0.0.1 --Starling:Storage:Type=memory --Starling:SysInterval=0 --Starling:Monitor:Port=0 --Logging:LogLevel:Default=Warning)
  if [ "$nodes" -gt 0 ]; then
    nats-server -a 127.0.0.1 -p $nats_port -js -sd "$dir/js" >"$dir/nats.log" 2>&1 & pids+=($!)
    wait_port $nats_port
  else
    count=1
  fi
  for i in $(seq 1 "$count"); do
    local cluster=()
    [ "$nodes" -gt 0 ] && cluster=(--Starling:Cluster:NatsUrl=nats://127.0.0.1:$nats_port --Starling:Cluster:NodeName=node$i)
    dotnet "$server" --port $((18840 + i)) "${common[@]}" "${cluster[@]}" >"$dir/node$i.log" 2>&1 & pids+=($!)
    wait_port $((18840 + i))
  done
}

for run in $(seq 1 "$RUNS"); do
  for cell in $CELLS; do
    dir="$work/$cell-$run"; mkdir -p "$dir"
    extra=()
    case $cell in
      single*) start 0 "$dir" ;;
      cross*) start 2 "$dir"; extra=(--subscriber-port 18842) ;;
      local-*) start "${cell#local-}" "$dir" ;;
    esac
    case $cell in *-paced) extra+=(--rate 200) ;; esac
    # Let the nodes settle (a cluster node is still syncing with its peers and JIT-compiling when its port opens):
    # with 1 s of warm-up and no pause, node-local traffic measured 0.50x of a lone broker, with 3 s and a pause 0.75x+.
    sleep 2
    echo "run $run: $cell" >&2
    dotnet "$bench" bench p2p -h 127.0.0.1 -p 18841 "${extra[@]}" --clients 10 -q "$QOS" --size 64 --inflight 100 \
      --duration "$DURATION" --warmup "$WARMUP" --quiet --json >"$out/$cell-$run.json" 2>"$out/$cell-$run.err" || echo "  failed: $(tail -1 "$out/$cell-$run.err")" >&2
    kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true
  done
done

python3 - "$out" "$CELLS" "$RUNS" <<'PY' | tee "$out/results.md"
import json, statistics, sys
out, cells, runs = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])
print(f"| cell | msg/s (median, min-max of {runs}) | p50 µs | p99 µs | lost |")
print("|---|---|---|---|---|")
med = {}
for c in cells:
    rows = []
    for r in range(1, runs + 1):
        try: rows.append(json.load(open(f"{out}/{c}-{r}.json")))
        except Exception: pass
    if not rows:
        print(f"| {c} | failed | | | |"); continue
    t = [r["throughput"] for r in rows]
    p50 = statistics.median(r["latencyUs"]["p50"] for r in rows); p99 = statistics.median(r["latencyUs"]["p99"] for r in rows)
    med[c] = (statistics.median(t), p50, p99)
    print(f"| {c} | {med[c][0]:,.0f} ({min(t):,.0f}-{max(t):,.0f}) | {p50:,.0f} | {p99:,.0f} | {sum(r['lost'] for r in rows)} |")
print()
if "single-paced" in med and "cross-paced" in med:
    print(f"- a crossing adds {med['cross-paced'][1] - med['single-paced'][1]:,.0f} µs at p50 and {med['cross-paced'][2] - med['single-paced'][2]:,.0f} µs at p99 (paced)")
if "single" in med and "cross" in med:
    print(f"- cross-node throughput: {med['cross'][0] / med['single'][0]:.2f}x of one broker")
for n in (1, 2, 3):
    if f"local-{n}" in med and "single" in med:
        print(f"- node-local with {n} node(s): {med[f'local-{n}'][0] / med['single'][0]:.2f}x of one broker without a cluster")
PY
