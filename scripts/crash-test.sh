#!/usr/bin/env bash
# The kill -9 crash test with more cycles than the suite runs (50 on SQLite, 25 on Redis):
#   scripts/crash-test.sh          # 500 cycles on SQLite, 250 on Redis
#   scripts/crash-test.sh 2000
# Needs what scripts/test.sh installs (redis-server, the NuGet packages); prints each run's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cycles="${1:-500}"
STARLING_CRASH_CYCLES="$cycles" dotnet test tests/Starling.Interop.Tests -c Release --nologo \
  --filter "FullyQualifiedName~Crash.CrashRecoveryTests" --logger "console;verbosity=detailed"
