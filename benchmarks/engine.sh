#!/usr/bin/env bash
# engine.sh [CHECKOUT] [compare flags...]
#
# Runs issue 22's engine targets (go run ./cmd/compare -engine) with this
# benchmarks module against the hotcache at CHECKOUT (default: .., the
# checkout this folder belongs to), through a temporary copy of go.mod whose
# replace points there; this checkout's files are not changed. The report
# goes to $OUT (default results-engine) as engine.md and engine.json.
# CHECKOUT must build with this module's adapters (adapters.go).
#
#   ./engine.sh                         # this checkout
#   ./engine.sh ../../other -reps 9     # another checkout, 9 rounds
set -euo pipefail
cd "$(dirname "$0")"
src=..
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  src=$1
  shift
fi
src=$(cd "$src" && pwd)
if [ ! -f "$src/go.mod" ] || ! grep -q '^module github.com/hotcache/hotcache$' "$src/go.mod"; then
  echo "engine.sh: $src is not a hotcache checkout (no go.mod with module github.com/hotcache/hotcache)" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp go.mod "$tmp/go.mod"
cp go.sum "$tmp/go.sum"
go mod edit -modfile="$tmp/go.mod" -replace=github.com/hotcache/hotcache="$src"
go run -modfile="$tmp/go.mod" ./cmd/compare -engine -checkout "$src" -out "${OUT:-results-engine}" "$@"
