#!/usr/bin/env bash
# Builds Jaeger (the tracing backend: an OTLP receiver and its query API, all in one process) into .cache/bin/jaeger
# (or READINESS_CACHE_DIR) from the Go module proxy. Debian packages no Jaeger; Grafana Tempo is AGPL and not used.
# Idempotent; the first build takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${JAEGER_VERSION:-v1.75.0}"
bin="${READINESS_CACHE_DIR:-$PWD/.cache/bin}"
out="$bin/jaeger"
if [ -x "$out" ]; then exit 0; fi
mkdir -p "$bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init readiness-jaeger-build >/dev/null 2>&1
go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$version"
go build -trimpath -ldflags "-s -w" -o "$out" github.com/jaegertracing/jaeger/cmd/jaeger
echo "built $out ($version)"
