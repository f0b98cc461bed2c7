#!/usr/bin/env bash
# Packs every Starling package (the projects with IsPackable true: the libraries and the two tools) into
# artifacts/packages, or into the folder given as the first argument. The version is VersionPrefix in
# Directory.Build.props; VERSION_SUFFIX=rc.1 (say) makes 0.1.0-rc.1.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-artifacts/packages}")
mkdir -p "$out"
suffix=()
[ -n "${VERSION_SUFFIX:-}" ] && suffix=(--version-suffix "$VERSION_SUFFIX")
# The solution, so that every packable project is packed; the others (tests, examples, the server) have
# IsPackable false and are skipped.
dotnet pack Starling.sln -c Release --nologo -v q -clp:ErrorsOnly -o "$out" "${suffix[@]}"
ls "$out"/*.nupkg
