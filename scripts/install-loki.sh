#!/usr/bin/env bash
# Builds Grafana Loki (the real log aggregation server) into .cache/bin/loki (or READINESS_CACHE_DIR) from the Go module proxy.
# Debian's "loki" package is an unrelated program, and `go install` refuses Loki's module because its
# go.mod has replace directives, so this builds it from a throwaway main module that carries the same
# replaces. Needs Go >= 1.24. Idempotent; the first build takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${LOKI_VERSION:-v3.5.0}"
bin="${READINESS_CACHE_DIR:-$PWD/.cache/bin}"
out="$bin/loki"
if [ -x "$out" ]; then exit 0; fi
mkdir -p "$bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init readiness-loki-build >/dev/null 2>&1
info="$(go mod download -json "github.com/grafana/loki/v3@$version")"
dir="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
gomod="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -n "$dir" ] && [ -n "$gomod" ] || { echo "could not download github.com/grafana/loki/v3@$version" >&2; exit 1; }
# The same replace directives (except module-relative ones: those modules come from the proxy at the
# versions Loki requires), and Loki's go.sum so every module is verified against Loki's own hashes.
grep '^replace ' "$gomod" | grep -v '=> \./' >> go.mod
cp "$dir/go.sum" go.sum && chmod u+w go.sum
go get "github.com/grafana/loki/v3/cmd/loki@$version"
go build -trimpath -ldflags "-s -w" -o "$out" github.com/grafana/loki/v3/cmd/loki
echo "built $out ($version)"
