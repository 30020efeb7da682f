#!/usr/bin/env bash
# Starts and stops the real services Millrace's cluster mode and its tests use, from Maven Central
# artifacts only (no Docker): Apache Cassandra 5.0.9 and S3Proxy 4.1.0.
#
#   services.sh start|stop|status cassandra|s3proxy [--dir WORKDIR] [--port N]
#                                 [--storage-port N] [--owner-pid PID] [--backend filesystem|transient]
#
#   --dir WORKDIR     data, config, logs and the pid file (default deploy/services/target/work/<svc>)
#   --port N          CQL port (cassandra, default 9042) or HTTP port (s3proxy, default 9090)
#   --storage-port N  cassandra inter-node port (default: a free port)
#   --owner-pid PID   stop the service when process PID exits (used by tests)
#   --backend B       s3proxy storage: filesystem (default; jclouds filesystem-nio2 under WORKDIR/buckets)
#                     or transient (jclouds transient, in memory, lost at stop). The filesystem backend
#                     cannot hold a key and a longer key using it as a directory (a and a/b); S3 and
#                     the transient backend can.
#
# start: resolves the artifacts into deploy/services/target/ if missing (mvn -f deploy/services/pom.xml),
# writes the configuration into WORKDIR, starts the server in the background, waits until it answers
# (cassandra: a CQL OPTIONS request is answered; s3proxy: an HTTP response) and records its pid in
# WORKDIR/<svc>.pid. Idempotent: if it already runs from WORKDIR, nothing happens. Bounded by
# MILLRACE_SERVICES_START_TIMEOUT seconds (default 180 for cassandra, 60 for s3proxy): on timeout or
# early exit it prints the end of the log, stops what it started and exits 1.
# stop: SIGTERM, waits up to 30 s, then SIGKILL. Idempotent.
# status: prints "running pid=.. port=.." (exit 0) or "stopped" (exit 3).
#
# S3Proxy credentials: identity "millrace", credential "millrace-secret"; buckets are directories
# under WORKDIR/buckets (filesystem-nio2). Cassandra: single node, AllowAllAuthenticator, 512 MB heap.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HERE/target"
CASSANDRA_VERSION=5.0.9
S3PROXY_VERSION=4.1.0
S3_IDENTITY=millrace
S3_CREDENTIAL=millrace-secret

die() { echo "services.sh: $*" >&2; exit 1; }
usage() { sed -n '5,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 2 ] || usage
ACTION="$1"; SERVICE="$2"; shift 2
case "$ACTION" in start|stop|status) ;; *) usage ;; esac
case "$SERVICE" in cassandra|s3proxy) ;; *) usage ;; esac

WORKDIR=""; PORT=""; STORAGE_PORT=""; OWNER_PID=""; BACKEND=filesystem
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) WORKDIR="${2:?--dir needs a value}"; shift 2 ;;
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --storage-port) STORAGE_PORT="${2:?--storage-port needs a value}"; shift 2 ;;
    --owner-pid) OWNER_PID="${2:?--owner-pid needs a value}"; shift 2 ;;
    --backend) BACKEND="${2:?--backend needs a value}"; shift 2 ;;
    *) usage ;;
  esac
done
WORKDIR="${WORKDIR:-$CACHE/work/$SERVICE}"
mkdir -p "$WORKDIR"
WORKDIR="$(cd "$WORKDIR" && pwd)"
PIDFILE="$WORKDIR/$SERVICE.pid"
PORTFILE="$WORKDIR/$SERVICE.port"
OUTFILE="$WORKDIR/$SERVICE.out"

if [ "$SERVICE" = cassandra ]; then
  PORT="${PORT:-9042}"; TIMEOUT="${MILLRACE_SERVICES_START_TIMEOUT:-180}"
else
  PORT="${PORT:-9090}"; TIMEOUT="${MILLRACE_SERVICES_START_TIMEOUT:-60}"
fi

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}

# True once a CQL OPTIONS request (protocol v4) gets a SUPPORTED (opcode 0x06) response.
cql_answers() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "\x04\x00\x00\x00\x05\x00\x00\x00\x00" >&3
    head -c 9 <&3 | od -An -tx1 | tr -d " \n" | grep -q "^84000000" && exit 0
    exit 1' "$1" 2>/dev/null
}

s3_answers() {
  curl -s -o /dev/null --max-time 3 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null \
    | grep -q '^[1-5][0-9][0-9]$'
}

answers() { if [ "$SERVICE" = cassandra ]; then cql_answers "$1"; else s3_answers "$1"; fi; }

resolve_artifacts() {
  local marker
  if [ "$SERVICE" = cassandra ]; then
    marker="$CACHE/cassandra/lib/cassandra-all-$CASSANDRA_VERSION.jar"
  else
    marker="$CACHE/s3proxy/s3proxy.jar"
  fi
  [ -f "$marker" ] && return 0
  mkdir -p "$CACHE"
  (
    flock -w 600 9 || die "timed out waiting for another artifact resolution"
    if [ ! -f "$marker" ]; then
      echo "services.sh: resolving Cassandra $CASSANDRA_VERSION and S3Proxy $S3PROXY_VERSION from Maven Central into $CACHE" >&2
      mvn -q -B -f "$HERE/pom.xml" package >"$CACHE/resolve.log" 2>&1 \
        || { tail -n 30 "$CACHE/resolve.log" >&2; die "artifact resolution failed (see $CACHE/resolve.log)"; }
    fi
  ) 9>"$CACHE/.resolve.lock"
  [ -f "$marker" ] || die "artifact resolution did not produce $marker"
}

write_cassandra_config() {
  mkdir -p "$WORKDIR/conf" "$WORKDIR/data" "$WORKDIR/commitlog" "$WORKDIR/saved_caches" \
    "$WORKDIR/hints" "$WORKDIR/cdc_raw" "$WORKDIR/logs"
  cat >"$WORKDIR/conf/cassandra.yaml" <<EOF
# Written by deploy/services/services.sh: a single-node test Cassandra on loopback.
cluster_name: millrace-test
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$STORAGE_PORT"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $STORAGE_PORT
native_transport_port: $PORT
start_native_transport: true
data_file_directories:
  - $WORKDIR/data
commitlog_directory: $WORKDIR/commitlog
saved_caches_directory: $WORKDIR/saved_caches
hints_directory: $WORKDIR/hints
cdc_raw_directory: $WORKDIR/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
memtable_heap_space: 64MiB
memtable_offheap_space: 64MiB
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 4
concurrent_compactors: 1
key_cache_size: 8MiB
auto_snapshot: false
dynamic_snitch: false
paxos_variant: v2
EOF
  cat >"$WORKDIR/conf/logback.xml" <<EOF
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$WORKDIR/logs/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
EOF
}

# The module flags of Cassandra's own conf/jvm17-server.options (not shipped in the jar).
CASSANDRA_JVM17_FLAGS=(
  -Djdk.attach.allowAttachSelf=true
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.math=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens java.base/java.net=ALL-UNNAMED
)

launch_cassandra() {
  STORAGE_PORT="${STORAGE_PORT:-$(free_port)}"
  write_cassandra_config
  local jamm
  jamm="$(ls "$CACHE"/cassandra/lib/jamm-*.jar | head -n 1)"
  setsid java -Xms512m -Xmx512m -Xss512k -XX:+UseG1GC -XX:ParallelGCThreads=2 -XX:ConcGCThreads=1 \
    -XX:+ExitOnOutOfMemoryError -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath="$WORKDIR/logs" \
    "-javaagent:$jamm" \
    "${CASSANDRA_JVM17_FLAGS[@]}" \
    -Dcassandra-foreground=yes \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 \
    -Dcassandra.ring_delay_ms=0 \
    -Dcassandra.config="file://$WORKDIR/conf/cassandra.yaml" \
    -Dcassandra.storagedir="$WORKDIR" \
    -Dcassandra.logdir="$WORKDIR/logs" \
    -Dlogback.configurationFile="$WORKDIR/conf/logback.xml" \
    -cp "$CACHE/cassandra/lib/*" \
    org.apache.cassandra.service.CassandraDaemon \
    >"$OUTFILE" 2>&1 </dev/null &
  echo $!
}

launch_s3proxy() {
  mkdir -p "$WORKDIR/buckets"
  local PROVIDER
  case "$BACKEND" in
    filesystem) PROVIDER=filesystem-nio2 ;;
    transient) PROVIDER=transient ;;
    *) die "unknown --backend $BACKEND (filesystem or transient)" ;;
  esac
  cat >"$WORKDIR/s3proxy.properties" <<EOF
# Written by deploy/services/services.sh
s3proxy.endpoint=http://127.0.0.1:$PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_IDENTITY
s3proxy.credential=$S3_CREDENTIAL
jclouds.provider=$PROVIDER
jclouds.filesystem.basedir=$WORKDIR/buckets
EOF
  setsid java -Xmx512m -XX:+UseSerialGC -jar "$CACHE/s3proxy/s3proxy.jar" \
    --properties "$WORKDIR/s3proxy.properties" >"$OUTFILE" 2>&1 </dev/null &
  echo $!
}

stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "$SERVICE (pid $pid) did not stop"
}

start_watchdog() {
  local owner="$1" pid="$2"
  (
    trap '' HUP
    while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      sleep 20
      kill -KILL "$pid" 2>/dev/null || true
    fi
  ) </dev/null >/dev/null 2>&1 &
}

do_start() {
  local pid
  if pid="$(running_pid)"; then
    echo "$SERVICE already running (pid $pid, port $(cat "$PORTFILE" 2>/dev/null || echo ?))"
    return 0
  fi
  rm -f "$PIDFILE" "$PORTFILE"
  if port_in_use "$PORT"; then
    die "cannot start $SERVICE: port $PORT on 127.0.0.1 is already in use"
  fi
  command -v java >/dev/null || die "java (17) is not on the PATH"
  resolve_artifacts
  local started
  started="$(date +%s%N)"
  if [ "$SERVICE" = cassandra ]; then pid="$(launch_cassandra)"; else pid="$(launch_s3proxy)"; fi
  echo "$pid" >"$PIDFILE"
  echo "$PORT" >"$PORTFILE"
  [ -n "$OWNER_PID" ] && start_watchdog "$OWNER_PID" "$pid"
  local deadline=$(( $(date +%s) + TIMEOUT ))
  while ! answers "$PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE" "$PORTFILE"
      tail -n 40 "$OUTFILE" >&2 || true
      [ -f "$WORKDIR/logs/system.log" ] && grep -E '^(ERROR|WARN)' "$WORKDIR/logs/system.log" | tail -n 10 >&2
      die "$SERVICE exited during start (log: $OUTFILE)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 40 "$OUTFILE" >&2 || true
      stop_pid "$pid" || true
      rm -f "$PIDFILE" "$PORTFILE"
      die "$SERVICE did not answer on 127.0.0.1:$PORT within ${TIMEOUT}s (log: $OUTFILE)"
    fi
    sleep 0.25
  done
  local ms=$(( ($(date +%s%N) - started) / 1000000 ))
  echo "$SERVICE started on 127.0.0.1:$PORT (pid $pid, ${ms} ms, dir $WORKDIR)"
}

do_stop() {
  local pid
  if pid="$(running_pid)"; then
    stop_pid "$pid"
    echo "$SERVICE stopped (pid $pid)"
  fi
  rm -f "$PIDFILE" "$PORTFILE"
}

do_status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running pid=$pid port=$(cat "$PORTFILE" 2>/dev/null || echo ?)"
    return 0
  fi
  echo "stopped"
  return 3
}

case "$ACTION" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
