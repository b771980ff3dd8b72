#!/usr/bin/env bash
# Installs everything the test suite starts that `npm install` cannot, so that `npm test` works on a fresh
# machine: Debian packages (PostgreSQL, Redis, Prometheus, Alertmanager, the node and postgres exporters,
# Chromium, Java and Maven, ...) when running as root and missing, then the Temporal CLI, the Java
# time-skipping test server, Grafana Loki and Jaeger, built once into .cache/bin (or READINESS_CACHE_DIR).
# Idempotent: when everything is present it only checks, in a fraction of a second.
#
# Each install prints one line when it starts (with how long it usually takes) and one when it ends (with
# how long it took); on a terminal the running one shows an elapsed-time counter instead.
# Not root and a package missing: it installs nothing and exits 1 with one message listing every missing
# piece and the command that installs it.
#
#   bash scripts/setup-test-deps.sh           install what is missing (`npm test` runs this first: pretest)
#   bash scripts/setup-test-deps.sh --check   install nothing; exit 1 listing what is missing (jest's global setup)
set -uo pipefail
cd "$(dirname "$0")/.."
root_dir="$PWD"
cache_bin="${READINESS_CACHE_DIR:-$root_dir/.cache/bin}"
check_only=0
[ "${1:-}" = "--check" ] && check_only=1
started=$SECONDS

PROGRESS_PREFIX=setup
# shellcheck source=lib/progress.sh
. scripts/lib/progress.sh

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
have_pg_server() { have initdb || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
go_new_enough() {
  local v major minor
  v=$(go env GOVERSION 2>/dev/null) || return 1
  v=${v#go}; major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  [ "$major" -gt 1 ] 2>/dev/null || { [ "$major" -eq 1 ] && [ "$minor" -ge 25 ]; } 2>/dev/null
}

# What the tests run, as "check:Debian package" (the check is a program name, or a function above).
debian=(
  have_pg_server:postgresql pg_dump:postgresql-client pg_restore:postgresql-client
  redis-server:redis-server prometheus:prometheus promtool:prometheus
  prometheus-alertmanager:prometheus-alertmanager amtool:prometheus-alertmanager
  prometheus-node-exporter:prometheus-node-exporter prometheus-postgres-exporter:prometheus-postgres-exporter
  chromium:chromium openssl:openssl pkill:procps git:git java:default-jre-headless
)
temporal_cli_ok() { { [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; } || have temporal || [ -x "$cache_bin/temporal" ]; }
test_server_ok() { [ -x "$cache_bin/temporal-test-server" ]; }
loki_ok() { [ -x "$cache_bin/loki" ]; }
jaeger_ok() { [ -x "$cache_bin/jaeger" ]; }

packages=()
add_package() { local p; for p in "${packages[@]}"; do [ "$p" = "$1" ] && return; done; packages+=("$1"); }
for entry in "${debian[@]}"; do
  check=${entry%%:*}
  if [ "$(type -t "$check")" = function ]; then "$check" || add_package "${entry##*:}"
  else have "$check" || add_package "${entry##*:}"; fi
done
builds=()
temporal_cli_ok || builds+=(temporal)
test_server_ok || { builds+=(test-server); have mvn || add_package maven; }
loki_ok || builds+=(loki)
jaeger_ok || builds+=(jaeger)
manual=()
for b in "${builds[@]}"; do
  if [ "$b" != test-server ] && ! go_new_enough; then
    manual+=("Go >= 1.25 for the Temporal CLI, Loki and Jaeger builds (Debian's golang is older): https://go.dev/dl/, then put it on PATH")
    break
  fi
done

if [ ${#packages[@]} -eq 0 ] && [ ${#builds[@]} -eq 0 ]; then
  [ "$check_only" -eq 1 ] || say "every test dependency is present (checked in $(elapsed $((SECONDS - started))))"
  exit 0
fi

describe_build() {
  case $1 in
    temporal) echo "the Temporal CLI (dev server), built into $cache_bin";;
    test-server) echo "the Java Temporal time-skipping test server, into $cache_bin";;
    loki) echo "Grafana Loki, built into $cache_bin";;
    jaeger) echo "Jaeger (tracing backend), built into $cache_bin";;
  esac
}
if [ "$check_only" -eq 1 ] || { [ ${#packages[@]} -gt 0 ] && [ "$(id -u)" -ne 0 ]; } || [ ${#manual[@]} -gt 0 ]; then
  {
    echo "setup: the tests need what this machine does not have yet:"
    [ ${#packages[@]} -gt 0 ] && echo "  - Debian packages: ${packages[*]}"
    for b in "${builds[@]}"; do echo "  - $(describe_build "$b")"; done
    for m in "${manual[@]}"; do echo "  - $m"; done
    echo "Install them with:"
    [ ${#packages[@]} -gt 0 ] && echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages[*]}"
    for m in "${manual[@]}"; do echo "  (install ${m%% (*} by hand: ${m##*: })"; done
    [ ${#builds[@]} -gt 0 ] && echo "  bash scripts/setup-test-deps.sh   (builds the rest into $cache_bin; no root needed)"
    [ "$check_only" -eq 1 ] && echo "or run \`npm test\`, which runs that script first (it installs Debian packages itself when run as root)."
  } >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ ${#packages[@]} -gt 0 ]; then
  step "apt-get update" "a few seconds" apt-get update -qq || exit 1
  for p in "${packages[@]}"; do
    usually="a few seconds"
    [ "$p" = chromium ] && usually="about a minute"
    step "installing Debian package $p" "$usually" apt-get install -y -qq --no-install-recommends "$p" || exit 1
  done
fi
mkdir -p "$cache_bin"
for b in "${builds[@]}"; do
  case $b in
    temporal) step "building the Temporal CLI v1.5.1 from the Go module proxy into $cache_bin, once" "5-10 min" \
      env GOBIN="$cache_bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1 || exit 1;;
    test-server) step "installing the Java Temporal time-skipping test server from Maven Central, once" "under a minute" \
      bash scripts/install-test-server.sh || exit 1;;
    loki) step "building Grafana Loki from the Go module proxy into $cache_bin, once" "5-10 min" \
      bash scripts/install-loki.sh || exit 1;;
    jaeger) step "building Jaeger from the Go module proxy into $cache_bin, once" "5-15 min" \
      bash scripts/install-jaeger.sh || exit 1;;
  esac
done
say "test dependencies ready in $(elapsed $((SECONDS - started)))"
