#!/usr/bin/env bash
# Runs every test of Starling, installing first what the tests need (Debian packages, NuGet packages).
# Prints, as its last line, the totals read from the test results:  tests: N passed, M failed, K skipped
set -uo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Real clients nobody here wrote: Debian's mosquitto_pub / mosquitto_sub, Debian's python3-paho-mqtt (run by
# Debian's /usr/bin/python3, not whatever python3 is first on the PATH), and MQTT.js (npm, run by Node).
missing=()
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
/usr/bin/python3 -c 'import paho.mqtt' >/dev/null 2>&1 || missing+=(python3-paho-mqtt)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server) # the Redis store's tests start their own on 127.0.0.1
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server) # the cluster's tests start their own on 127.0.0.1
command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto) # the bridges' tests start their own broker on 127.0.0.1
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd) # deploy/starling.service is checked with systemd-analyze verify
[ -x /usr/bin/chromium ] || missing+=(chromium) # the web monitor's browser test drives Debian's Chromium
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} ..."
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || {
    echo "could not install ${missing[*]}" >&2; exit 1; }
fi

# MQTT.js, at the version tests/js/package-lock.json pins.
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error >/dev/null || { echo "npm ci in tests/js failed" >&2; exit 1; }
# playwright-core, at the version tests/browser/package-lock.json pins (it downloads no browser: the test uses Debian's).
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null || { echo "npm ci in tests/browser failed" >&2; exit 1; }

# Tests that open many sockets need descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

results=artifacts/test-results
rm -rf "$results"
dotnet restore Starling.sln --nologo -v q || exit 1
dotnet build Starling.sln -c Release --no-restore --nologo -v q -clp:ErrorsOnly || exit 1
dotnet test Starling.sln -c Release --no-build --nologo --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
status=$?

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); a=$(get aborted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done

# Fuzzing (not counted as tests): the in-process mutation mode of fuzz/Starling.Fuzz, 30 s per target
# (FUZZ_SECONDS to change it, 0 to skip). A crash or a hang fails the run; findings go to artifacts/fuzz-findings.
fuzz_seconds=${FUZZ_SECONDS:-30}
mkdir -p artifacts
if [ "$fuzz_seconds" != 0 ]; then
  fuzz_dll=fuzz/Starling.Fuzz/bin/Release/net10.0/Starling.Fuzz.dll
  for target in codec connection; do
    if ! dotnet "$fuzz_dll" random "$target" --seconds "$fuzz_seconds" --corpus "fuzz/corpus/$target" \
         --findings "artifacts/fuzz-findings/$target" > "artifacts/fuzz-$target.log" 2>&1; then
      echo "fuzz $target found a crash or hang (see artifacts/fuzz-$target.log and artifacts/fuzz-findings/$target):" >&2
      grep -E '^(CRASH|HANG)' "artifacts/fuzz-$target.log" | head -5 >&2
      status=1
    fi
    tail -1 "artifacts/fuzz-$target.log"
  done
fi

if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "no test results were found" >&2
  status=1
fi
[ "$failed" -gt 0 ] && status=1
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
