#!/usr/bin/env bash
# A local Millrace cluster on loopback: Cassandra 5.0.9 and S3Proxy 4.1.0 (through
# deploy/services/services.sh) and three Millrace nodes from the built jar, each with its own HTTP port.
#
#   cluster.sh start              start what is not running; returns once every node is healthy
#   cluster.sh stop               stop the nodes (SIGTERM, graceful), then Cassandra and S3Proxy
#   cluster.sh status             one line per node: node N up|down http://127.0.0.1:PORT
#   cluster.sh kill-node N        SIGKILL node N (a crash)
#   cluster.sh restart-node N     stop node N (SIGTERM; SIGKILL after 30 s) if running, start it, wait
#                                 until it is healthy
#
# Environment (defaults in brackets):
#   MILLRACE_CLUSTER_DIR         work directory: config, logs, pids, service data [deploy/local/work]
#   MILLRACE_CLUSTER_NODES       number of nodes [3]
#   MILLRACE_CLUSTER_HTTP_PORT   HTTP port of node 1; node N uses HTTP_PORT + N - 1 [8081]
#   MILLRACE_CLUSTER_PEKKO_PORT  cluster (Artery) port of node 1; node N uses +N-1 [25521]
#   MILLRACE_CLUSTER_CASSANDRA_PORT  CQL port [9042]
#   MILLRACE_CLUSTER_S3_PORT     S3Proxy HTTP port [9090]
#   MILLRACE_CLUSTER_BUCKET      bucket, created if missing [millrace]
#   MILLRACE_CLUSTER_TIMEOUT     seconds to wait for the nodes to be healthy [180]
#   MILLRACE_CLUSTER_JAVA_OPTS   JVM options of each node [-Xms384m -Xmx384m -XX:+UseSerialGC]; the heap
#                                bounds the request bodies a node buffers (an eighth of -Xmx)
#   MILLRACE_JAR                 the server jar [modules/server/target/millrace.jar]
#
# `start` saves these in WORK/cluster.env; later commands on the same WORK use the saved values
# unless the environment sets them.
#
# Each node runs `java -jar millrace.jar serve --config WORK/cluster.conf --object-store s3
# --metadata cassandra --seed-nodes <all nodes> --cluster-port P --port H --node-name node-N`;
# WORK/cluster.conf holds the S3 and Cassandra settings (edit it to change any key of
# docs/configuration.md; it is written only if missing). Node logs: WORK/node-N.log.
# Every node is given the same root token with --root-token-file WORK/root-token (generated, mode
# 0600, on the first start); clients use it: export S2_ACCESS_TOKEN="$(cat WORK/root-token)".
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SERVICES="$ROOT/deploy/services/services.sh"
WORK="${MILLRACE_CLUSTER_DIR:-$HERE/work}"
# The layout chosen at the last start, so later commands find the same ports (the environment wins).
SAVED_NODES=""; SAVED_HTTP_PORT=""; SAVED_PEKKO_PORT=""; SAVED_CASSANDRA_PORT=""; SAVED_S3_PORT=""
SAVED_BUCKET=""
# shellcheck disable=SC1091
[ -f "$WORK/cluster.env" ] && . "$WORK/cluster.env"
NODES="${MILLRACE_CLUSTER_NODES:-${SAVED_NODES:-3}}"
HTTP_PORT="${MILLRACE_CLUSTER_HTTP_PORT:-${SAVED_HTTP_PORT:-8081}}"
PEKKO_PORT="${MILLRACE_CLUSTER_PEKKO_PORT:-${SAVED_PEKKO_PORT:-25521}}"
CASSANDRA_PORT="${MILLRACE_CLUSTER_CASSANDRA_PORT:-${SAVED_CASSANDRA_PORT:-9042}}"
S3_PORT="${MILLRACE_CLUSTER_S3_PORT:-${SAVED_S3_PORT:-9090}}"
BUCKET="${MILLRACE_CLUSTER_BUCKET:-${SAVED_BUCKET:-millrace}}"
TIMEOUT="${MILLRACE_CLUSTER_TIMEOUT:-180}"
JAVA_OPTS="${MILLRACE_CLUSTER_JAVA_OPTS:--Xms384m -Xmx384m -XX:+UseSerialGC}"
JAR="${MILLRACE_JAR:-$ROOT/modules/server/target/millrace.jar}"
S3_IDENTITY=millrace
S3_CREDENTIAL=millrace-secret

die() { echo "cluster.sh: $*" >&2; exit 1; }
usage() { sed -n '5,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"

http_port() { echo $((HTTP_PORT + $1 - 1)); }
pekko_port() { echo $((PEKKO_PORT + $1 - 1)); }
pidfile() { echo "$WORK/node-$1.pid"; }

check_node_number() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] \
    || die "node number must be 1..$NODES, got '${1:-}'"
}

node_pid() {
  local f pid
  f="$(pidfile "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

healthy() {
  [ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$(http_port "$1")/health" 2>/dev/null)" = 200 ]
}

seed_nodes() {
  local seeds="" n
  for n in $(seq 1 "$NODES"); do seeds="${seeds:+$seeds,}127.0.0.1:$(pekko_port "$n")"; done
  echo "$seeds"
}

write_config() {
  [ -f "$WORK/cluster.conf" ] && return 0
  cat >"$WORK/cluster.conf" <<CONF
# Written by deploy/local/cluster.sh (only when missing): the local cluster's store settings.
# Any key of docs/configuration.md can be added; flags given by cluster.sh win over this file.
millrace.objectstore.s3 {
  bucket = "$BUCKET"
  endpoint = "http://127.0.0.1:$S3_PORT"
  path-style = true
  access-key-id = "$S3_IDENTITY"
  secret-access-key = "$S3_CREDENTIAL"
}
millrace.metadata.cassandra {
  contact-points = ["127.0.0.1:$CASSANDRA_PORT"]
}
# Failure detection, downing and the removal margin keep the server's defaults (docs/adr/0011):
# a crashed node's streams accept appends on the survivors within a few seconds.
CONF
}

create_bucket() {
  local code
  code="$(curl -s -o "$WORK/create-bucket.out" -w '%{http_code}' --max-time 10 -X PUT \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_IDENTITY:$S3_CREDENTIAL" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "http://127.0.0.1:$S3_PORT/$BUCKET" || true)"
  case "$code" in
    200|409) ;;
    *) cat "$WORK/create-bucket.out" >&2 2>/dev/null || true
       die "could not create bucket $BUCKET on S3Proxy 127.0.0.1:$S3_PORT (HTTP $code)" ;;
  esac
}

# The root token every node accepts, generated once (32 random bytes, base64url, mode 0600).
write_root_token() {
  [ -s "$WORK/root-token" ] && return 0
  ( umask 077
    printf 'mrroot.%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" \
      >"$WORK/root-token.tmp" )
  mv "$WORK/root-token.tmp" "$WORK/root-token"
}

launch_node() {
  local n="$1" pid
  if pid="$(node_pid "$n")"; then return 0; fi
  write_root_token
  setsid java $JAVA_OPTS -jar "$JAR" serve \
    --config "$WORK/cluster.conf" \
    --root-token-file "$WORK/root-token" \
    --object-store s3 --metadata cassandra \
    --host 127.0.0.1 --port "$(http_port "$n")" \
    --cluster-host 127.0.0.1 --cluster-port "$(pekko_port "$n")" \
    --seed-nodes "$(seed_nodes)" \
    --node-name "node-$n" \
    >>"$WORK/node-$n.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$n")"
}

wait_healthy() {
  local deadline=$(( $(date +%s) + TIMEOUT )) n pending
  while :; do
    pending=""
    for n in "$@"; do
      if ! node_pid "$n" >/dev/null; then
        tail -n 20 "$WORK/node-$n.log" >&2 || true
        die "node $n exited during start (log: $WORK/node-$n.log)"
      fi
      healthy "$n" || pending="$pending $n"
    done
    [ -z "$pending" ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      for n in $pending; do tail -n 20 "$WORK/node-$n.log" >&2 || true; done
      die "node(s)$pending not healthy within ${TIMEOUT}s (logs: $WORK/node-N.log)"
    fi
    sleep 0.5
  done
}

stop_node() {
  local n="$1" pid
  pid="$(node_pid "$n")" || { rm -f "$(pidfile "$n")"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$(pidfile "$n")"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$(pidfile "$n")"
}

status_lines() {
  local n state
  for n in $(seq 1 "$NODES"); do
    state=down
    if node_pid "$n" >/dev/null && healthy "$n"; then state=up; fi
    echo "node $n $state http://127.0.0.1:$(http_port "$n")"
  done
}

do_start() {
  [ -f "$JAR" ] || die "$JAR not found; build it first: mvn -q -B -DskipTests package"
  command -v curl >/dev/null || die "curl is needed"
  bash "$SERVICES" start s3proxy --dir "$WORK/s3proxy" --port "$S3_PORT"
  bash "$SERVICES" start cassandra --dir "$WORK/cassandra" --port "$CASSANDRA_PORT"
  write_config
  cat >"$WORK/cluster.env" <<SAVED
SAVED_NODES=$NODES
SAVED_HTTP_PORT=$HTTP_PORT
SAVED_PEKKO_PORT=$PEKKO_PORT
SAVED_CASSANDRA_PORT=$CASSANDRA_PORT
SAVED_S3_PORT=$S3_PORT
SAVED_BUCKET=$BUCKET
SAVED
  create_bucket
  local n all=""
  for n in $(seq 1 "$NODES"); do launch_node "$n"; all="$all $n"; done
  # shellcheck disable=SC2086
  wait_healthy $all
  status_lines
  echo "root token: export S2_ACCESS_TOKEN=\"\$(cat $WORK/root-token)\""
}

do_stop() {
  local n
  for n in $(seq 1 "$NODES"); do stop_node "$n" & done
  wait
  bash "$SERVICES" stop cassandra --dir "$WORK/cassandra"
  bash "$SERVICES" stop s3proxy --dir "$WORK/s3proxy"
  echo "cluster stopped"
}

[ $# -ge 1 ] || usage
case "$1" in
  start) do_start ;;
  stop) do_stop ;;
  status) status_lines ;;
  kill-node)
    check_node_number "${2:-}"
    if pid="$(node_pid "$2")"; then
      kill -KILL "$pid"
      rm -f "$(pidfile "$2")"
      echo "node $2 killed (pid $pid)"
    else
      echo "node $2 is not running"
    fi
    ;;
  restart-node)
    check_node_number "${2:-}"
    [ -f "$JAR" ] || die "$JAR not found; build it first: mvn -q -B -DskipTests package"
    stop_node "$2"
    launch_node "$2"
    wait_healthy "$2"
    echo "node $2 up http://127.0.0.1:$(http_port "$2")"
    ;;
  *) usage ;;
esac
