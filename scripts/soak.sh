#!/usr/bin/env bash
# The long soak: runs the broker (Release) for DURATION seconds (default 3600) under moderate load from
# `starling bench p2p` at a fixed rate, sampling the broker's RSS and CPU every 10 s into artifacts/soak/.
# Not part of the test suite; record its result in docs/robustness.md.
#   scripts/soak.sh [DURATION_SECONDS] [RATE_PER_PUBLISHER]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-3600}
rate=${2:-500}
port=${SOAK_PORT:-18883}
out=artifacts/soak
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
for project in src/Starling.Server src/Starling.Cli; do dotnet build -c Release -v q --nologo -clp:ErrorsOnly "$project"; done
dotnet src/Starling.Server/bin/Release/net10.0/starling-server.dll --port "$port" --bind 127.0.0.1 \
  --Logging:LogLevel:Default=Warning > "$out/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true' EXIT
sleep 3
( while kill -0 $broker 2>/dev/null; do
    echo "$(date +%s) $(grep VmRSS /proc/$broker/status | awk '{print $2}') $(awk '{print $14+$15}' /proc/$broker/stat)"
    sleep 10
  done ) > "$out/rss-kib-and-cpu-ticks.txt" &
dotnet src/Starling.Cli/bin/Release/net10.0/starling.dll bench p2p -h 127.0.0.1 -p "$port" --clients 10 -q 1 \
  --rate "$rate" --duration "$duration" --warmup 10 --json --quiet > "$out/summary.json"
cat "$out/summary.json"
echo "RSS samples (epoch KiB cpu-ticks): $out/rss-kib-and-cpu-ticks.txt"
