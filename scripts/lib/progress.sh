# Progress lines for slow steps of the project's shell scripts (sourced, not run). The Node side has the same
# behaviour in src/infra/progress.ts. Set PROGRESS_PREFIX before sourcing (default "readiness").
#
#   step WHAT USUALLY COMMAND...
# runs COMMAND with its output in a log file. Without a terminal on stderr it prints one line when the step
# starts ("WHAT (usually USUALLY)...") and one when it ends ("WHAT: done in 12 s"); on a terminal, one line
# redrawn with a spinner and the elapsed time, then the end line. On failure it prints the step's output and
# returns COMMAND's exit code.

: "${PROGRESS_PREFIX:=readiness}"

say() { printf '%s: %s\n' "$PROGRESS_PREFIX" "$*" >&2; }

elapsed() {
  local s=$1
  if [ "$s" -lt 60 ]; then printf '%d s' "$s"; else printf '%d min %d s' $((s / 60)) $((s % 60)); fi
}

step() {
  local what=$1 usually=$2 log rc t0=$SECONDS
  shift 2
  log=$(mktemp "${TMPDIR:-/tmp}/readiness-step.XXXXXX")
  if [ -t 2 ]; then
    "$@" >"$log" 2>&1 &
    local pid=$! spin='|/-\' i=0
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r\033[K%s: %s (usually %s) %s %s' "$PROGRESS_PREFIX" "$what" "$usually" "${spin:i++%4:1}" "$(elapsed $((SECONDS - t0)))" >&2
      sleep 0.25
    done
    wait "$pid"
    rc=$?
    printf '\r\033[K' >&2
  else
    say "$what (usually $usually)..."
    "$@" >"$log" 2>&1
    rc=$?
  fi
  if [ "$rc" -eq 0 ]; then
    say "$what: done in $(elapsed $((SECONDS - t0)))"
    rm -f "$log"
  else
    cat "$log" >&2
    say "$what: FAILED (exit $rc) after $(elapsed $((SECONDS - t0))); its output is above and in $log"
  fi
  return "$rc"
}
