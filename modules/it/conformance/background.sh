#!/usr/bin/env bash
# Runs the S2 TypeScript SDK conformance suite in the background while failsafe runs the Java ITs
# (docs/verification.md, "The CI suite's wall time").
#
#   background.sh start   starts `node --test ...` detached; its output goes to
#                         $OUT/conformance.log, its exit code to $OUT/conformance.rc
#   background.sh wait    waits for it (at most WAIT_LIMIT seconds, then kills it and fails),
#                         prints its output and exits with its exit code
#
# OUT defaults to ../target (the it module's build directory). The suite reads MILLRACE_JAR and
# MILLRACE_IT_LOGS from the environment like a foreground run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/../target}"
mkdir -p "$out"
log="$out/conformance.log"
rc="$out/conformance.rc"
pidfile="$out/conformance.pid"
limit="${WAIT_LIMIT:-1800}"

stop_group() {
  local pid="$1"
  # The runner is a process group leader (setsid): end node and the servers it started.
  kill -TERM -- "-$pid" 2>/dev/null || true
  sleep 2
  kill -KILL -- "-$pid" 2>/dev/null || true
}

case "${1:-}" in
  start)
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "conformance: ending a run left over from an earlier build (pid $(cat "$pidfile"))"
      stop_group "$(cat "$pidfile")"
    fi
    rm -f "$log" "$rc" "$pidfile"
    cd "$here"
    # setsid: the runner leads its own process group, so `wait` can end it with everything it started.
    setsid bash -c '
      echo $$ > "$3"
      node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec > "$1" 2>&1
      echo $? > "$2"
    ' conformance "$log" "$rc" "$pidfile" < /dev/null > /dev/null 2>&1 &
    for _ in $(seq 1 100); do
      [[ -s "$pidfile" ]] && break
      sleep 0.1
    done
    if [[ ! -s "$pidfile" ]]; then
      echo "conformance: the background suite did not start" >&2
      exit 1
    fi
    echo "conformance: S2 TypeScript SDK suite started in the background (pid $(cat "$pidfile"), output in $log)"
    ;;
  wait)
    if [[ ! -f "$pidfile" ]]; then
      echo "conformance: no background run was started" >&2
      exit 1
    fi
    pid="$(cat "$pidfile")"
    waited=0
    while kill -0 "$pid" 2>/dev/null; do
      if ((waited >= limit)); then
        echo "conformance: still running after ${limit} s; stopping it" >&2
        stop_group "$pid"
        cat "$log" 2>/dev/null || true
        exit 1
      fi
      if ((waited % 60 == 0)); then
        echo "conformance: waiting for the background suite (${waited} s)"
      fi
      sleep 1
      waited=$((waited + 1))
    done
    rm -f "$pidfile"
    echo "---------------- S2 TypeScript SDK conformance suite (background run) ----------------"
    cat "$log" 2>/dev/null || true
    echo "---------------------------------------------------------------------------------------"
    if [[ ! -s "$rc" ]]; then
      echo "conformance: the background suite ended without an exit code" >&2
      exit 1
    fi
    code="$(cat "$rc")"
    echo "conformance: node exited with $code"
    exit "$code"
    ;;
  *)
    echo "usage: $0 start|wait" >&2
    exit 2
    ;;
esac
