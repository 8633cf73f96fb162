#!/usr/bin/env bash
# Start/stop the real servers Outpost's integration tests run against, on 127.0.0.1 only.
#
#   scripts/services.sh install   install everything (tansu is built in the background and this
#                                 returns at once; use it early in CI to overlap the ~13 min build)
#   scripts/services.sh start     install what is missing, start every service, wait until ready
#   scripts/services.sh env       print `export OUTPOST_TEST_*=…` lines for the running services
#                                 (plus OUTPOST_TEST_TANSU_BIN once tansu is built)
#   scripts/services.sh status    one line per service
#   scripts/services.sh stop      stop every service started by `start`
#
# Services and fixed test ports:
#   PostgreSQL 15 (preinstalled)      5499   OUTPOST_TEST_PG_URL
#   Redis (Debian redis-server)       6390   OUTPOST_TEST_REDIS_URL
#   NATS + JetStream (Debian)         4233   OUTPOST_TEST_NATS_URL
#   osmem-server (PyPI, OpenSearch)   9201   OUTPOST_TEST_OPENSEARCH_URL
#   tansu (crates.io, Kafka API)      9092   OUTPOST_TEST_KAFKA_ADDR
#
# Environment:
#   OUTPOST_CACHE_DIR        install cache (venv, tansu binary + its persistent target dir, logs);
#                            default /work/.cache/outpost-services
#   OUTPOST_SERVICES_RUN     run-time state (pid files, data dirs); default $OUTPOST_CACHE_DIR/run
#   OUTPOST_SKIP_KAFKA=1     do not build or start tansu (Kafka tests then skip)
#   OUTPOST_TANSU_WAIT       seconds `start` waits for the tansu build; default 1800
#   OUTPOST_TANSU_JOBS       cargo -j for the tansu build; default 2
#
# Runs as root (CI on Debian 12) or as a user that may run apt-get/su. Idempotent: running
# `start` twice leaves the running services alone.
set -euo pipefail

CACHE="${OUTPOST_CACHE_DIR:-/work/.cache/outpost-services}"
RUN="${OUTPOST_SERVICES_RUN:-$CACHE/run}"
LOGS="$CACHE/logs"
VENV="$CACHE/venv"
TANSU_ROOT="$CACHE/tansu"
TANSU_BIN="$TANSU_ROOT/bin/tansu"
TANSU_TARGET="$CACHE/tansu-target"
TANSU_VERSION="0.6.0"
PG_BIN="/usr/lib/postgresql/15/bin"

PG_PORT=5499
REDIS_PORT=6390
NATS_PORT=4233
OS_PORT=9201
KAFKA_PORT=9092

log() { echo "[services] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

pid_alive() { # pidfile
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

port_open() { # port
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for() { # name seconds command...
    local name=$1 secs=$2
    shift 2
    local i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -ge $((secs * 10)) ]; then
            die "$name not ready after ${secs}s (logs in $LOGS)"
        fi
        sleep 0.1
    done
    log "$name ready"
}

# ---------------------------------------------------------------- install

apt_updated=0
apt_install() { # packages...
    if [ "$apt_updated" = 0 ]; then
        log "apt-get update"
        as_root apt-get update -qq >"$LOGS/apt.log" 2>&1 || die "apt-get update failed (see $LOGS/apt.log)"
        apt_updated=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        >>"$LOGS/apt.log" 2>&1 || die "apt-get install $* failed (see $LOGS/apt.log)"
}

install_debian() {
    local want=()
    command -v redis-server >/dev/null || want+=(redis-server)
    command -v nats-server >/dev/null || want+=(nats-server)
    if [ "${#want[@]}" -gt 0 ]; then apt_install "${want[@]}"; fi
    [ -x "$PG_BIN/initdb" ] || apt_install postgresql-15
}

osmem_bin() {
    local b
    for b in "$VENV"/lib/python3*/site-packages/osmem_server/bin/osmem-server; do
        [ -x "$b" ] && { echo "$b"; return 0; }
    done
    return 1
}

install_osmem() {
    osmem_bin >/dev/null && return 0
    log "installing osmem-server into $VENV"
    if ! python3 -m venv "$VENV" >>"$LOGS/venv.log" 2>&1; then
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV" >>"$LOGS/venv.log" 2>&1 || die "python3 -m venv failed"
    fi
    "$VENV/bin/pip" install -q osmem-server >>"$LOGS/venv.log" 2>&1 || die "pip install osmem-server failed (see $LOGS/venv.log)"
    osmem_bin >/dev/null || die "osmem-server binary not found in $VENV"
}

# Starts `cargo install tansu` in the background (resumable: persistent target dir).
install_tansu_bg() {
    [ "${OUTPOST_SKIP_KAFKA:-0}" = 1 ] && return 0
    [ -x "$TANSU_BIN" ] && return 0
    if pid_alive "$CACHE/tansu-install.pid"; then
        log "tansu build already running (pid $(cat "$CACHE/tansu-install.pid"))"
        return 0
    fi
    command -v cargo >/dev/null || die "cargo not found (needed to build tansu)"
    log "building tansu $TANSU_VERSION in the background (~13 min on 2 cores; log $LOGS/tansu-install.log)"
    nohup nice -n 5 cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore \
        --root "$TANSU_ROOT" --target-dir "$TANSU_TARGET" -j "${OUTPOST_TANSU_JOBS:-2}" \
        >"$LOGS/tansu-install.log" 2>&1 </dev/null &
    echo $! >"$CACHE/tansu-install.pid"
}

wait_tansu_install() {
    [ -x "$TANSU_BIN" ] && return 0
    local secs="${OUTPOST_TANSU_WAIT:-1800}" waited=0
    log "waiting for the tansu build (up to ${secs}s)"
    while ! [ -x "$TANSU_BIN" ]; do
        if ! pid_alive "$CACHE/tansu-install.pid"; then
            [ -x "$TANSU_BIN" ] && break
            tail -20 "$LOGS/tansu-install.log" >&2 || true
            die "tansu build failed (log $LOGS/tansu-install.log)"
        fi
        sleep 5
        waited=$((waited + 5))
        [ $((waited % 60)) = 0 ] && log "… still building tansu (${waited}s)"
        [ "$waited" -ge "$secs" ] && die "tansu build not finished after ${secs}s; run start again to resume"
    done
    log "tansu installed at $TANSU_BIN"
}

do_install() {
    mkdir -p "$CACHE" "$LOGS" "$RUN"
    install_tansu_bg
    install_debian
    install_osmem
}

# ---------------------------------------------------------------- start

start_pg() {
    if pid_alive "$RUN/pg.pid" && port_open $PG_PORT; then log "postgres already running"; return 0; fi
    local dir
    dir=$(mktemp -d /tmp/outpost-pg.XXXXXX)
    chown postgres "$dir"
    chmod 700 "$dir"
    echo "$dir" >"$RUN/pg.dir"
    su postgres -s /bin/sh -c "$PG_BIN/initdb -D '$dir/data' -A trust -U postgres" >"$LOGS/pg-initdb.log" 2>&1 ||
        die "initdb failed (see $LOGS/pg-initdb.log)"
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$dir/data' -o '-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' -l '$dir/pg.log' -w start" \
        >"$LOGS/pg-start.log" 2>&1 || die "pg_ctl start failed (see $dir/pg.log)"
    head -1 "$dir/data/postmaster.pid" >"$RUN/pg.pid"
    wait_for postgres 30 pg_isready -h 127.0.0.1 -p $PG_PORT -U postgres
}

start_redis() {
    if pid_alive "$RUN/redis.pid" && port_open $REDIS_PORT; then log "redis already running"; return 0; fi
    mkdir -p "$RUN/redis"
    redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no --dir "$RUN/redis" \
        --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log"
    wait_for redis 30 redis-cli -h 127.0.0.1 -p $REDIS_PORT ping
}

start_nats() {
    if pid_alive "$RUN/nats.pid" && port_open $NATS_PORT; then log "nats already running"; return 0; fi
    rm -rf "$RUN/nats"
    mkdir -p "$RUN/nats"
    nohup nats-server -a 127.0.0.1 -p $NATS_PORT -js -sd "$RUN/nats" >"$LOGS/nats.log" 2>&1 </dev/null &
    echo $! >"$RUN/nats.pid"
    wait_for nats 30 port_open $NATS_PORT
}

start_osmem() {
    if pid_alive "$RUN/osmem.pid" && port_open $OS_PORT; then log "osmem-server already running"; return 0; fi
    local bin
    bin=$(osmem_bin) || die "osmem-server not installed"
    nohup "$bin" -addr 127.0.0.1:$OS_PORT -no-stdin-watch >"$LOGS/osmem.log" 2>&1 </dev/null &
    echo $! >"$RUN/osmem.pid"
    wait_for osmem-server 30 curl -fsS "http://127.0.0.1:$OS_PORT/"
}

start_tansu() {
    [ "${OUTPOST_SKIP_KAFKA:-0}" = 1 ] && { log "OUTPOST_SKIP_KAFKA=1: not starting tansu"; return 0; }
    if pid_alive "$RUN/tansu.pid" && port_open $KAFKA_PORT; then log "tansu already running"; return 0; fi
    wait_tansu_install
    nohup "$TANSU_BIN" broker --listener-url tcp://127.0.0.1:$KAFKA_PORT \
        --advertised-listener-url tcp://127.0.0.1:$KAFKA_PORT \
        --storage-engine memory://tansu/ >"$LOGS/tansu.log" 2>&1 </dev/null &
    echo $! >"$RUN/tansu.pid"
    wait_for tansu 30 port_open $KAFKA_PORT
}

do_start() {
    do_install
    start_pg
    start_redis
    start_nats
    start_osmem
    start_tansu
    log "all services up; eval \"\$($0 env)\" to use them"
}

# ---------------------------------------------------------------- env / status / stop

do_env() {
    pid_alive "$RUN/pg.pid" && echo "export OUTPOST_TEST_PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    pid_alive "$RUN/redis.pid" && echo "export OUTPOST_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/"
    pid_alive "$RUN/nats.pid" && echo "export OUTPOST_TEST_NATS_URL=nats://127.0.0.1:$NATS_PORT"
    pid_alive "$RUN/osmem.pid" && echo "export OUTPOST_TEST_OPENSEARCH_URL=http://127.0.0.1:$OS_PORT"
    pid_alive "$RUN/tansu.pid" && echo "export OUTPOST_TEST_KAFKA_ADDR=127.0.0.1:$KAFKA_PORT"
    # Tests that need a broker of their own (to kill it) start this binary themselves.
    [ -x "$TANSU_BIN" ] && echo "export OUTPOST_TEST_TANSU_BIN=$TANSU_BIN"
    return 0
}

do_status() {
    local s
    for s in pg redis nats osmem tansu; do
        if pid_alive "$RUN/$s.pid"; then echo "$s: running (pid $(cat "$RUN/$s.pid"))"; else echo "$s: stopped"; fi
    done
    if pid_alive "$CACHE/tansu-install.pid" && ! [ -x "$TANSU_BIN" ]; then echo "tansu build: running"; fi
    return 0
}

stop_pid() { # name pidfile
    if pid_alive "$2"; then
        local pid
        pid=$(cat "$2")
        kill "$pid" 2>/dev/null || true
        local i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null || true
        log "$1 stopped"
    fi
    rm -f "$2"
}

do_stop() {
    stop_pid tansu "$RUN/tansu.pid"
    stop_pid osmem-server "$RUN/osmem.pid"
    stop_pid nats "$RUN/nats.pid"
    stop_pid redis "$RUN/redis.pid"
    if [ -f "$RUN/pg.dir" ]; then
        local dir
        dir=$(cat "$RUN/pg.dir")
        if [ -d "$dir/data" ]; then
            su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$dir/data' -m fast -w stop" >/dev/null 2>&1 || true
            log "postgres stopped"
        fi
        rm -rf "$dir"
        rm -f "$RUN/pg.dir" "$RUN/pg.pid"
    fi
    rm -rf "$RUN/nats" "$RUN/redis"
}

mkdir -p "$CACHE" "$LOGS" "$RUN"
case "${1:-}" in
install) do_install ;;
start) do_start ;;
env) do_env ;;
status) do_status ;;
stop) do_stop ;;
*)
    echo "usage: $0 install|start|env|status|stop" >&2
    exit 2
    ;;
esac
