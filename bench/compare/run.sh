#!/usr/bin/env bash
# Compares Starling with mosquitto, NATS (MQTT listener), MQTTnet and aedes on this machine, side by side.
# Builds what it needs in Release, installs the peers if missing, raises `ulimit -n`, then runs the
# orchestrator (bench/compare/Starling.Compare), passing it every argument, e.g.:
#   bench/compare/run.sh                                  # full matrix, 10 s after 2 s warm-up, one run
#   bench/compare/run.sh --runs 3 --update BENCHMARKS.md  # medians of 3 runs, written into BENCHMARKS.md
#   bench/compare/run.sh --quick --brokers starling,mosquitto --scenarios p2p
# Results: artifacts/compare/results.md, results.json and one log per broker and generator run.
# A benchmark, not a test: scripts/test.sh does not run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/sbin:/sbin"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Peers from Debian: mosquitto, nats-server; Node for aedes.
missing=()
command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} ..."
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# aedes, at the version bench/peers/aedes/package-lock.json pins.
npm ci --prefix bench/peers/aedes --no-audit --no-fund --loglevel=error >/dev/null

# Release builds: the broker, the MQTTnet peer, the load generator (starling bench) and the orchestrator.
build() { dotnet build "$1" -c Release --nologo -v q -clp:ErrorsOnly; }
build src/Starling.Server/Starling.Server.csproj
build bench/peers/MqttNetServer/MqttNetServer.csproj
if [ -f src/Starling.Cli/Starling.Cli.csproj ]; then
  build src/Starling.Cli/Starling.Cli.csproj
else
  echo "warning: src/Starling.Cli is not here (merge branch cli): only --bench-command or --scenarios idle can run" >&2
fi
build bench/compare/Starling.Compare/Starling.Compare.csproj

# 10,000 idle connections need descriptors in the broker and in the harness.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "ulimit -n: $(ulimit -n)"

exec dotnet bench/compare/Starling.Compare/bin/Release/net10.0/starling-compare.dll \
  --repo . --command-line "bench/compare/run.sh${*:+ $*}" "$@"
