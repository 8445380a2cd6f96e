#!/usr/bin/env bash
# collect-unreachable.sh -- capture what real database clients print when the database is not
# reachable or not ready, for src/core/unreachable.ts and its tests (issue #11).
#
#   scripts/collect-unreachable.sh
#
# Regenerates everything under tests/fixtures/unreachable/ except clients/ (the probe programs):
#   messages/<client>-<situation>.txt   one client's error text, verbatim, per situation
#   pytest/<situation>.xml              a tiny pytest + psycopg2 suite's JUnit report
#   node-test/<situation>.xml           a tiny node --test + pg suite's JUnit report
#   README.md                           commands, clients and versions
#
# Every situation is produced for real, on this machine only: throwaway PostgreSQL 15 and
# MariaDB servers in a temporary directory listening on 127.0.0.1 (free ports), a loopback
# listener whose accept queue is full (connect timeout), and a private network namespace
# (unshare -n -m) with a loopback DNS server answering NXDOMAIN (unknown host). No traffic
# leaves the machine. Servers are stopped and the directory removed on exit (also on Ctrl-C).
#
# Needs root (initdb runs as the `postgres` OS user, mariadbd as `mysql`, unshare needs
# CAP_SYS_ADMIN). Missing Debian packages are installed with apt-get; node drivers with npm
# (tests/fixtures/unreachable/clients/js, from its package-lock.json).
set -Euo pipefail
# The whole script is one block, so bash reads all of it before running any: editing the file
# while it runs does not change the run.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/tests/fixtures/unreachable
CLIENTS=$OUT/clients
PG_BIN=/usr/lib/postgresql/15/bin
PY=/usr/bin/python3 # Debian's python3: the one python3-psycopg2 / python3-psycopg install into

log() { printf 'collect-unreachable: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PG_CLIENTS=(psql psycopg2 psycopg node-pg go-libpq go-pgx jdbc)
MY_CLIENTS=(mariadb pymysql node-mysql2)

# --- running one client ---------------------------------------------------------------------
# Prints what the client printed (stdout and stderr together) and returns its exit code.
# Connection settings come from the environment: PG* for PostgreSQL clients, MY* for MySQL ones.
run_client() {
  local client=$1
  local t=(timeout -k 5 90)
  case $client in
    psql) "${t[@]}" psql -X -w -v ON_ERROR_STOP=1 -c "${PROBE_SQL:-SELECT 1}" ;;
    psycopg2 | psycopg) "${t[@]}" "$PY" "$CLIENTS/python/probe.py" "$client" ;;
    node-pg) "${t[@]}" node "$CLIENTS/js/probe.mjs" pg ;;
    # lib/pq defaults to sslmode=require (libpq: prefer); the test servers have no TLS.
    go-libpq) PGSSLMODE=${PGSSLMODE:-disable} "${t[@]}" "$WORK/probe-go" libpq ;;
    go-pgx) "${t[@]}" "$WORK/probe-go" pgx ;;
    jdbc) "${t[@]}" java -cp "$WORK/java:/usr/share/java/postgresql.jar" Probe ;;
    mariadb)
      "${t[@]}" mariadb --no-defaults --protocol=TCP -h "$MYHOST" -P "$MYPORT" -u "$MYUSER" \
        --password="${MYPASSWORD:-}" --connect-timeout="${MYCONNECT_TIMEOUT:-10}" \
        ${MYDATABASE:+"$MYDATABASE"} -e "${PROBE_SQL:-SELECT 1}"
      ;;
    pymysql) "${t[@]}" "$PY" "$CLIENTS/python/probe.py" pymysql ;;
    node-mysql2) "${t[@]}" node "$CLIENTS/js/probe.mjs" mysql2 ;;
    *) die "unknown client $client" ;;
  esac
}

# capture SITUATION CLIENT: run the client, save its text as messages/CLIENT-SITUATION.txt
# (only when it failed: a client that connected fine produced nothing to save), note it in
# the manifest.
capture() {
  local situation=$1 client=$2 text rc=0
  text=$(run_client "$client" 2>&1) || rc=$?
  if [[ $rc -eq 0 ]]; then
    log "  $client: connected (nothing to capture for $situation)"
    printf '%s\t%s\t%s\t%s\n' "$situation" "$client" "-" "(connected: not produced)" >>"$MANIFEST"
    return 1
  fi
  [[ $rc -eq 124 || $rc -eq 137 ]] && text="$text"$'\n'"(collect-unreachable: killed after 90 s)"
  printf '%s\n' "$text" >"$OUT/messages/$client-$situation.txt"
  log "  $client: ${text%%$'\n'*}"
  printf '%s\t%s\t%s\t%s\n' "$situation" "$client" "$rc" "$(head -c 300 <<<"${text%%$'\n'*}")" >>"$MANIFEST"
  return 0
}

capture_all() { # SITUATION CLIENT...
  local situation=$1 client
  shift
  log "$situation"
  for client in "$@"; do capture "$situation" "$client" || true; done
}

# run_suites SITUATION: the pytest and node --test suites, JUnit reports into pytest/ and node-test/.
run_suites() {
  local situation=$1
  log "  JUnit suites for $situation"
  (cd "$CLIENTS/pytest" && timeout -k 5 300 "$PY" -m pytest -p no:cacheprovider -q \
    -o junit_family=xunit2 --junitxml="$OUT/pytest/$situation.xml" test_orders_pg.py >/dev/null 2>&1) || true
  (cd "$CLIENTS/js" && timeout -k 5 300 node --test --test-reporter=junit \
    --test-reporter-destination="$OUT/node-test/$situation.xml" orders.test.mjs >/dev/null 2>&1) || true
}

# --- inside a private network namespace (re-executed by main) --------------------------------
in_netns() {
  ip link set lo up
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$WORK/resolv.conf"
  mount --bind "$WORK/resolv.conf" /etc/resolv.conf
  export PGHOST=db.invalid PGPORT=5432 PGUSER=app PGPASSWORD=secret PGDATABASE=app PGCONNECT_TIMEOUT=5
  export MYHOST=db.invalid MYPORT=3306 MYUSER=app MYPASSWORD=secret MYDATABASE=app MYCONNECT_TIMEOUT=5

  "$PY" "$CLIENTS/python/nxdomain_dns.py" 127.0.0.1 53 &
  local dns=$!
  sleep 0.5
  capture_all unknown-host "${PG_CLIENTS[@]}" "${MY_CLIENTS[@]}"
  run_suites unknown-host
  kill "$dns"
  wait "$dns" 2>/dev/null || true

  # Nothing answers on the name server's port: the resolver cannot tell whether the name exists.
  capture_all dns-unavailable "${PG_CLIENTS[@]}" "${MY_CLIENTS[@]}"
}

if [[ ${1:-} == --in-netns ]]; then
  : "${WORK:?}" "${MANIFEST:?}"
  in_netns
  exit 0
fi

# --- prerequisites ---------------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "run as root (initdb as the postgres OS user, unshare for the DNS situations)"
need_pkgs=()
[[ -x $PG_BIN/initdb ]] || need_pkgs+=(postgresql-15)
command -v psql >/dev/null || need_pkgs+=(postgresql-client-15)
"$PY" -c 'import psycopg2' 2>/dev/null || need_pkgs+=(python3-psycopg2)
"$PY" -c 'import psycopg' 2>/dev/null || need_pkgs+=(python3-psycopg)
"$PY" -c 'import pymysql' 2>/dev/null || need_pkgs+=(python3-pymysql)
"$PY" -c 'import pytest' 2>/dev/null || need_pkgs+=(python3-pytest)
[[ -d /usr/share/gocode/src/github.com/lib/pq ]] || need_pkgs+=(golang-github-lib-pq-dev)
[[ -d /usr/share/gocode/src/github.com/jackc/pgx/v4 ]] || need_pkgs+=(golang-github-jackc-pgx-v4-dev)
command -v go >/dev/null || need_pkgs+=(golang-go)
[[ -f /usr/share/java/postgresql.jar ]] || need_pkgs+=(libpostgresql-jdbc-java)
command -v javac >/dev/null || need_pkgs+=(default-jdk-headless)
command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]] || need_pkgs+=(mariadb-server)
command -v mariadb >/dev/null || need_pkgs+=(mariadb-client)
command -v unshare >/dev/null || need_pkgs+=(util-linux)
command -v ip >/dev/null || need_pkgs+=(iproute2)
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
  log "installing ${need_pkgs[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
fi
MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
if [[ ! -d $CLIENTS/js/node_modules/pg || ! -d $CLIENTS/js/node_modules/mysql2 ]]; then
  log "installing the node drivers (npm ci in $CLIENTS/js)"
  (cd "$CLIENTS/js" && npm ci --no-audit --no-fund >&2)
fi

# --- temporary directory and cleanup ------------------------------------------------------------
WORK=$(mktemp -d /tmp/collect-unreachable.XXXXXXXX)
MANIFEST=$WORK/manifest.tsv
export WORK MANIFEST
chmod 755 "$WORK"
PG_CLUSTERS=()
BG_PIDS=()
MY_DIR=
cleanup() {
  local pid d
  rm -f "$WORK/hold" 2>/dev/null || true
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for d in "${PG_CLUSTERS[@]}"; do
    [[ -f $d/postmaster.pid ]] && runuser -u postgres -- "$PG_BIN/pg_ctl" stop -D "$d" -m immediate -w -t 20 >/dev/null 2>&1
  done
  if [[ -n $MY_DIR && -f $MY_DIR/mariadb.pid ]]; then
    kill "$(cat "$MY_DIR/mariadb.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [[ -f $MY_DIR/mariadb.pid ]] || break; sleep 0.2; done
  fi
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { "$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
as_pg() { (cd "$WORK" && runuser -u postgres -- "$@"); }
pg_super() { # PORT DIR SQL...: run SQL as the superuser over the cluster's socket
  local port=$1 dir=$2
  shift 2
  as_pg psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U postgres -d postgres "$@"
}

# new_cluster NAME: initdb into $WORK/NAME/data; hba: socket trust, TCP scram for app/holder only.
new_cluster() {
  local dir=$WORK/$1
  mkdir -p "$dir/sock"
  chown -R postgres: "$dir"
  chmod 700 "$dir/sock"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --encoding=UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >"$WORK/$1-initdb.log" 2>&1 || {
    cat "$WORK/$1-initdb.log" >&2
    die "initdb failed"
  }
  as_pg tee "$dir/data/pg_hba.conf" >/dev/null <<'HBA'
local all all                trust
host  all app    127.0.0.1/32 scram-sha-256
host  all holder 127.0.0.1/32 scram-sha-256
host  all rejected 127.0.0.1/32 reject
HBA
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$dir/sock'"
    echo "fsync = off"
    echo "synchronous_commit = off"
  } | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
  PG_CLUSTERS+=("$dir/data")
}
start_cluster() { # NAME PORT
  local dir=$WORK/$1
  as_pg "$PG_BIN/pg_ctl" start -W -D "$dir/data" -l "$dir/postgres.log" -o "-p $2" >/dev/null
}
wait_ready() { # PORT
  local i
  for i in $(seq 150); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 1 && return 0
    sleep 0.2
  done
  die "PostgreSQL on port $1 did not become ready"
}
create_roles() { # PORT DIR
  pg_super "$1" "$2" >/dev/null <<'SQL'
CREATE ROLE app LOGIN PASSWORD 'secret';
CREATE ROLE holder LOGIN PASSWORD 'secret';
CREATE ROLE intruder LOGIN PASSWORD 'secret';
CREATE ROLE rejected LOGIN PASSWORD 'secret';
CREATE DATABASE app OWNER app;
SQL
}
# hold PORT USER: a background session that sits in pg_sleep; its pid goes to HOLD_PID.
HOLD_PID=
hold() {
  PGHOST=127.0.0.1 PGPORT=$1 PGUSER=$2 PGPASSWORD=secret PGDATABASE=app \
    psql -X -w -q -c 'SELECT pg_sleep(600) /* holder */' >/dev/null 2>&1 &
  HOLD_PID=$!
  BG_PIDS+=("$HOLD_PID")
}
# wait_sleepers PORT DIR N: until N sessions sit in a pg_sleep query.
wait_sleepers() {
  local i
  for i in $(seq 100); do
    [[ $(pg_super "$1" "$2" -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(%' AND state = 'active'") -ge $3 ]] && return 0
    sleep 0.1
  done
  return 1
}

rm -rf "$OUT/messages" "$OUT/pytest" "$OUT/node-test"
mkdir -p "$OUT/messages" "$OUT/pytest" "$OUT/node-test"
: >"$MANIFEST"

# --- build the compiled probes --------------------------------------------------------------------
log "building the Go and Java probes"
(cd "$CLIENTS/go" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=$WORK/gocache \
  go build -o "$WORK/probe-go" probe.go) || die "go build failed"
mkdir -p "$WORK/java"
javac -d "$WORK/java" "$CLIENTS/java/Probe.java" || die "javac failed"

# --- (a) connection refused: nothing listens on the port --------------------------------------------
PORT=$(free_port)
(
  export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=app PGPASSWORD=secret PGDATABASE=app
  export MYHOST=127.0.0.1 MYPORT=$PORT MYUSER=app MYPASSWORD=secret MYDATABASE=app
  capture_all connection-refused "${PG_CLIENTS[@]}" "${MY_CLIENTS[@]}"
  run_suites connection-refused
)

# --- a Unix-socket directory with no server socket in it (libpq's default kind of host) -----------
(
  mkdir -p "$WORK/nosock"
  export PGHOST=$WORK/nosock PGPORT=5432 PGUSER=app PGPASSWORD=secret PGDATABASE=app
  capture_all no-socket psql psycopg2 psycopg node-pg go-libpq go-pgx
)

# --- a port that accepts and hangs up before the handshake (reset: RST; closed: FIN) -----------------
for mode in reset close; do
  rm -f "$WORK/hangup.port"
  "$PY" "$CLIENTS/python/hangup.py" "$mode" "$WORK/hangup.port" &
  hangup=$!
  BG_PIDS+=("$hangup")
  for _ in $(seq 50); do [[ -s $WORK/hangup.port ]] && break; sleep 0.1; done
  (
    PORT=$(cat "$WORK/hangup.port")
    export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=app PGPASSWORD=secret PGDATABASE=app PGCONNECT_TIMEOUT=5
    export MYHOST=127.0.0.1 MYPORT=$PORT MYUSER=app MYPASSWORD=secret MYDATABASE=app MYCONNECT_TIMEOUT=5
    situation=reset-by-peer
    [[ $mode == close ]] && situation=closed-by-peer
    capture_all "$situation" "${PG_CLIENTS[@]}" "${MY_CLIENTS[@]}"
  )
  kill "$hangup" 2>/dev/null || true
  wait "$hangup" 2>/dev/null || true
done

# --- (h) timeout: a loopback listener whose accept queue is full (SYNs are dropped) ----------------
"$PY" "$CLIENTS/python/full_backlog.py" "$WORK/backlog.port" &
BG_PIDS+=($!)
for _ in $(seq 50); do [[ -s $WORK/backlog.port ]] && break; sleep 0.1; done
(
  PORT=$(cat "$WORK/backlog.port")
  export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=app PGPASSWORD=secret PGDATABASE=app PGCONNECT_TIMEOUT=3
  export MYHOST=127.0.0.1 MYPORT=$PORT MYUSER=app MYPASSWORD=secret MYDATABASE=app MYCONNECT_TIMEOUT=3
  capture_all timeout "${PG_CLIENTS[@]}" "${MY_CLIENTS[@]}"
  run_suites timeout
)

# --- (b) the database system is starting up ----------------------------------------------------------
# A standby whose restore_command blocks (until $WORK/hold goes): the startup process waits in it
# before redo begins, so the postmaster stays in its startup state and answers every connection
# with "the database system is starting up". Released, it replays and stays a standby; with
# hot_standby = off it then answers "the database system is not accepting connections".
new_cluster standby
touch "$WORK/hold"
chmod 644 "$WORK/hold"
{
  echo "hot_standby = off"
  echo "restore_command = 'for i in \$(seq 1200); do [ -e $WORK/hold ] || exit 1; sleep 0.1; done; exit 1'"
} | as_pg tee -a "$WORK/standby/data/postgresql.conf" >/dev/null
as_pg touch "$WORK/standby/data/standby.signal"
PORT=$(free_port)
start_cluster standby "$PORT"
for _ in $(seq 100); do
  rc=0
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 1 || rc=$?
  [[ $rc -eq 1 ]] && break # "rejecting connections"
  sleep 0.1
done
(
  export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=app PGPASSWORD=secret PGDATABASE=app
  capture_all starting-up "${PG_CLIENTS[@]}"
  run_suites starting-up
  rm -f "$WORK/hold"
  for _ in $(seq 100); do grep -q 'consistent recovery state reached' "$WORK/standby/postgres.log" && break; sleep 0.1; done
  sleep 1
  capture_all not-accepting-connections "${PG_CLIENTS[@]}"
)
as_pg "$PG_BIN/pg_ctl" stop -D "$WORK/standby/data" -m immediate -w -t 20 >/dev/null 2>&1 || true

# --- the main cluster: credentials, pg_hba, missing database, killed sessions, ordinary errors ------
new_cluster main
PORT=$(free_port)
start_cluster main "$PORT"
wait_ready "$PORT"
create_roles "$PORT" "$WORK/main"
MAIN_PORT=$PORT
(
  export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=app PGPASSWORD=secret PGDATABASE=app
  # Sanity: the right credentials work for every client.
  for c in "${PG_CLIENTS[@]}"; do run_client "$c" >/dev/null 2>&1 || die "$c cannot connect with the right credentials"; done

  (PGPASSWORD=wrong-password capture_all authentication-failed "${PG_CLIENTS[@]}")
  (PGPASSWORD=wrong-password run_suites authentication-failed)
  (unset PGPASSWORD; capture_all no-password "${PG_CLIENTS[@]}")
  (PGUSER=intruder capture_all no-hba-entry "${PG_CLIENTS[@]}")
  (PGUSER=intruder run_suites no-hba-entry)
  (PGUSER=rejected capture_all hba-reject "${PG_CLIENTS[@]}")
  (PGDATABASE=no_such_db capture_all database-does-not-exist "${PG_CLIENTS[@]}")
  (PGDATABASE=no_such_db run_suites database-does-not-exist)

  # Ordinary failures on a healthy server (negatives: none of these is "unreachable").
  (PROBE_SQL='SELEC 1' capture_all ordinary-syntax-error "${PG_CLIENTS[@]}")
  (PROBE_SQL='SELECT * FROM no_such_table' capture_all ordinary-relation-does-not-exist "${PG_CLIENTS[@]}")
  (PROBE_SQL='CREATE TEMP TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)' \
    capture_all ordinary-unique-violation "${PG_CLIENTS[@]}")
  (PROBE_SQL="SET statement_timeout = '100ms'; SELECT pg_sleep(2)" capture_all ordinary-statement-timeout "${PG_CLIENTS[@]}")
  (PROBE_SQL='SELECT 1/0' capture_all ordinary-division-by-zero "${PG_CLIENTS[@]}")

  # (f) connection reset: the client's backend is ended while its query runs.
  kill_during_query() { # SITUATION HOW CLIENT...
    local situation=$1 how=$2 client probe backend holder sleepers
    shift 2
    log "$situation"
    for client in "$@"; do
      holder=
      sleepers=1
      if [[ $how == crash-other ]]; then
        hold "$PORT" holder
        holder=$HOLD_PID
        sleepers=2
        wait_sleepers "$PORT" "$WORK/main" 1 || true
      fi
      (PROBE_SQL='SELECT pg_sleep(20)' capture "$situation" "$client" || true) &
      probe=$!
      wait_sleepers "$PORT" "$WORK/main" "$sleepers" || true
      backend=$(pg_super "$PORT" "$WORK/main" -c "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(20)' AND state = 'active' LIMIT 1")
      case $how in
        terminate) pg_super "$PORT" "$WORK/main" -c "SELECT pg_terminate_backend($backend)" >/dev/null ;;
        immediate)
          as_pg "$PG_BIN/pg_ctl" stop -D "$WORK/main/data" -m immediate -w -t 20 >/dev/null
          start_cluster main "$PORT"
          ;;
        kill9) kill -KILL "$backend" ;;
        crash-other)
          kill -KILL "$(pg_super "$PORT" "$WORK/main" -c "SELECT pid FROM pg_stat_activity WHERE query LIKE '%/* holder */' LIMIT 1")"
          ;;
      esac
      wait "$probe" || true
      [[ -n $holder ]] && { wait "$holder" 2>/dev/null || true; }
      wait_ready "$PORT"
      sleep 0.5
    done
  }
  kill_during_query terminated-by-administrator terminate "${PG_CLIENTS[@]}"
  kill_during_query backend-killed kill9 "${PG_CLIENTS[@]}"
  kill_during_query crash-of-another-backend crash-other "${PG_CLIENTS[@]}"
  kill_during_query immediate-shutdown immediate "${PG_CLIENTS[@]}"

  # Right after a backend crash the postmaster resets every session and refuses new ones for a
  # moment ("the database system is in recovery mode"): connect at once after a kill -9, a few tries.
  log "after-backend-crash (a connection in the moment after a backend crash)"
  for client in "${PG_CLIENTS[@]}"; do
    for try in 1 2 3 4 5 6 7 8; do
      hold "$PORT" holder
      holder=$HOLD_PID
      wait_sleepers "$PORT" "$WORK/main" 1 || true
      kill -KILL "$(pg_super "$PORT" "$WORK/main" -c "SELECT pid FROM pg_stat_activity WHERE query LIKE '%/* holder */' LIMIT 1")"
      text=$(run_client "$client" 2>&1) && text=
      wait "$holder" 2>/dev/null || true
      wait_ready "$PORT"
      if grep -qi 'recovery mode\|not yet accepting\|starting up' <<<"$text"; then
        printf '%s\n' "$text" >"$OUT/messages/$client-after-backend-crash.txt"
        printf '%s\t%s\t%s\t%s\n' after-backend-crash "$client" 1 "$(head -c 300 <<<"${text%%$'\n'*}") (try $try)" >>"$MANIFEST"
        log "  $client (try $try): ${text%%$'\n'*}"
        break
      fi
      [[ $try -eq 8 ]] && printf '%s\t%s\t%s\t%s\n' after-backend-crash "$client" - "(not caught in 8 tries: connected too late, after the restart)" >>"$MANIFEST"
    done
  done
)

# "the database system is shutting down": a smart shutdown waits for open sessions to end and
# refuses new ones meanwhile.
hold "$MAIN_PORT" holder
HOLDER=$HOLD_PID
wait_sleepers "$MAIN_PORT" "$WORK/main" 1 || true
as_pg "$PG_BIN/pg_ctl" stop -D "$WORK/main/data" -m smart -W >/dev/null
sleep 0.5
(
  export PGHOST=127.0.0.1 PGPORT=$MAIN_PORT PGUSER=app PGPASSWORD=secret PGDATABASE=app
  capture_all shutting-down "${PG_CLIENTS[@]}"
)
as_pg "$PG_BIN/pg_ctl" stop -D "$WORK/main/data" -m fast -w -t 20 >/dev/null 2>&1 || true
wait "$HOLDER" 2>/dev/null || true

# --- (e) too many clients ---------------------------------------------------------------------
# max_connections = 3 with 1 slot reserved for superusers: two sessions take the ordinary slots
# (the next non-superuser hears "remaining connection slots are reserved ..."); a superuser
# session takes the last one (then everyone hears "sorry, too many clients already").
new_cluster tiny
printf 'max_connections = 3\nsuperuser_reserved_connections = 1\n' | as_pg tee -a "$WORK/tiny/data/postgresql.conf" >/dev/null
PORT=$(free_port)
start_cluster tiny "$PORT"
wait_ready "$PORT"
create_roles "$PORT" "$WORK/tiny"
hold "$PORT" holder
hold "$PORT" holder
wait_sleepers "$PORT" "$WORK/tiny" 2 || {
  tail -20 "$WORK/tiny/postgres.log" >&2
  pg_super "$PORT" "$WORK/tiny" -c 'SELECT usename, state, query FROM pg_stat_activity' >&2
  die "could not fill the ordinary connection slots"
}
(
  export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=app PGPASSWORD=secret PGDATABASE=app
  capture_all reserved-connection-slots "${PG_CLIENTS[@]}"
)
as_pg psql -X -q -h "$WORK/tiny/sock" -p "$PORT" -U postgres -d postgres -c 'SELECT pg_sleep(600) /* holder */' >/dev/null 2>&1 &
BG_PIDS+=($!)
# (No more checking over a connection: the superuser took the last slot.)
sleep 2
(
  export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=app PGPASSWORD=secret PGDATABASE=app
  capture_all too-many-clients "${PG_CLIENTS[@]}"
  run_suites too-many-clients
)
as_pg "$PG_BIN/pg_ctl" stop -D "$WORK/tiny/data" -m immediate -w -t 20 >/dev/null 2>&1 || true

# --- MariaDB ------------------------------------------------------------------------------------
log "MariaDB"
MY_DIR=$WORK/my
MY_DATA=$MY_DIR/data
mkdir -p "$MY_DATA"
chown -R mysql: "$MY_DIR"
mariadb-install-db --no-defaults --datadir="$MY_DATA" --user=mysql --auth-root-authentication-method=socket \
  --skip-test-db >"$WORK/mariadb-install.log" 2>&1 || { cat "$WORK/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
MY_PORT=$(free_port)
"$MARIADBD" --no-defaults --datadir="$MY_DATA" --user=mysql --bind-address=127.0.0.1 --port="$MY_PORT" \
  --socket="$MY_DIR/mariadb.sock" --pid-file="$MY_DIR/mariadb.pid" --log-error="$MY_DIR/mariadb.err" \
  --skip-name-resolve --max-connections=10 --innodb-buffer-pool-size=16M &
BG_PIDS+=($!)
for _ in $(seq 150); do mariadb-admin --no-defaults -S "$MY_DIR/mariadb.sock" -u root ping >/dev/null 2>&1 && break; sleep 0.2; done
mariadb --no-defaults -S "$MY_DIR/mariadb.sock" -u root <<'SQL' || die "could not set up MariaDB users"
CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'secret';
CREATE DATABASE app;
GRANT ALL ON app.* TO 'app'@'127.0.0.1';
CREATE USER 'wide'@'127.0.0.1' IDENTIFIED BY 'secret';
GRANT SELECT ON *.* TO 'wide'@'127.0.0.1';
SQL
MY_SQL_ROOT=(mariadb --no-defaults -S "$MY_DIR/mariadb.sock" -u root -N -B)
(
  export MYHOST=127.0.0.1 MYPORT=$MY_PORT MYUSER=app MYPASSWORD=secret MYDATABASE=app
  for c in "${MY_CLIENTS[@]}"; do run_client "$c" >/dev/null 2>&1 || die "$c cannot connect to MariaDB with the right credentials"; done
  (MYPASSWORD=wrong-password capture_all authentication-failed "${MY_CLIENTS[@]}")
  (MYUSER=intruder capture_all unknown-user "${MY_CLIENTS[@]}")
  # A user who may see every database hears that it does not exist; one with grants on app only
  # is told it may not use it.
  (MYUSER=wide MYDATABASE=no_such_db capture_all database-does-not-exist "${MY_CLIENTS[@]}")
  (MYDATABASE=no_such_db capture_all database-access-denied "${MY_CLIENTS[@]}")
  (PROBE_SQL='SELEC 1' capture_all ordinary-syntax-error "${MY_CLIENTS[@]}")
  (PROBE_SQL='SELECT * FROM no_such_table' capture_all ordinary-relation-does-not-exist "${MY_CLIENTS[@]}")
  (PROBE_SQL='CREATE TEMPORARY TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)' \
    capture_all ordinary-unique-violation "${MY_CLIENTS[@]}")

  log "terminated-by-administrator (KILL during a query)"
  for c in "${MY_CLIENTS[@]}"; do
    (PROBE_SQL='SELECT SLEEP(60)' capture terminated-by-administrator "$c" || true) &
    probe=$!
    id=
    for _ in $(seq 100); do
      id=$("${MY_SQL_ROOT[@]}" -e "SELECT id FROM information_schema.processlist WHERE info = 'SELECT SLEEP(60)' LIMIT 1")
      [[ -n $id ]] && break
      sleep 0.1
    done
    [[ -n $id ]] && "${MY_SQL_ROOT[@]}" -e "KILL $id"
    wait "$probe" || true
  done

  # MariaDB's smallest max_connections is 10: ten sessions take every ordinary slot.
  log "too-many-connections"
  holders=()
  for _ in $(seq 10); do
    PROBE_SQL='SELECT SLEEP(600)' run_client mariadb >/dev/null 2>&1 &
    holders+=($!)
    BG_PIDS+=($!)
  done
  for _ in $(seq 100); do
    [[ $("${MY_SQL_ROOT[@]}" -e "SELECT count(*) FROM information_schema.processlist WHERE info = 'SELECT SLEEP(600)'") -ge 10 ]] && break
    sleep 0.1
  done
  capture_all too-many-clients "${MY_CLIENTS[@]}"
  "${MY_SQL_ROOT[@]}" -e "SELECT id FROM information_schema.processlist WHERE info = 'SELECT SLEEP(600)'" |
    while read -r id; do "${MY_SQL_ROOT[@]}" -e "KILL $id"; done
  for pid in "${holders[@]}"; do wait "$pid" 2>/dev/null || true; done
)
kill "$(cat "$MY_DIR/mariadb.pid")" 2>/dev/null || true
for _ in $(seq 100); do [[ -f $MY_DIR/mariadb.pid ]] || break; sleep 0.2; done

# --- unknown host / DNS unavailable: in a private network namespace ------------------------------
log "unknown host (private network namespace, NXDOMAIN from a loopback DNS server)"
unshare -n -m bash "$0" --in-netns || log "the network-namespace situations failed (is unshare allowed here?)"

# --- README -------------------------------------------------------------------------------------
ver() { "$@" 2>/dev/null | head -1; }
{
  cat <<'EOF'
# Real "database not reachable / not ready" messages

Captured by `scripts/collect-unreachable.sh` (run as root; it regenerates everything here except
`clients/`). **Nothing in `messages/`, `pytest/` or `node-test/` was written or edited by hand**:
each file is what one real client printed, on this machine, against a real server (or a real
absence of one). Ports, process ids, timestamps and host names are whatever the run produced and
change on every regeneration.

How each situation was produced (all traffic stays on this machine):

| situation | how |
|---|---|
| `connection-refused` | a free port on 127.0.0.1 with nothing listening |
| `no-socket` | `PGHOST` set to a directory with no server socket in it (libpq's Unix-socket connection; JDBC and the MySQL clients are not run) |
| `reset-by-peer` | a loopback listener that accepts and aborts each connection at once (TCP RST; `clients/python/hangup.py reset`), as a container's published port does before its database listens |
| `closed-by-peer` | the same, closing normally (FIN; `hangup.py close`) |
| `timeout` | a loopback listener with `listen(0)` and a full accept queue (`clients/python/full_backlog.py`): SYNs are dropped, so connect() times out as against a black-holed host; connect timeout 3 s. No remote black-hole address is used: this workplace allows no traffic off the machine. |
| `starting-up` | a PostgreSQL standby whose `restore_command` blocks: the postmaster stays in its startup state ("the database system is starting up") |
| `not-accepting-connections` | the same standby once released, replaying with `hot_standby = off` |
| `after-backend-crash` | connecting right after a backend was killed with SIGKILL: the postmaster ends every session and restarts (crash recovery); a client that connects in that moment hears "in recovery mode" (before the restart) or "not yet accepting connections" (during crash recovery). Up to 8 tries per client; slower-starting clients (JVM, node, psycopg 3) may connect only after the restart (see the table) |
| `shutting-down` | `pg_ctl stop -m smart` while a session is open |
| `authentication-failed` | SCRAM (`scram-sha-256`) in pg_hba.conf, wrong password; MariaDB: wrong password |
| `no-password` | SCRAM, no password given |
| `no-hba-entry` | a role with no pg_hba.conf line (`intruder`) |
| `hba-reject` | a role whose pg_hba.conf line is `reject` (`rejected`) |
| `unknown-user` | MariaDB: a user that does not exist |
| `database-does-not-exist` | `dbname=no_such_db`; MariaDB: a user with `SELECT ON *.*` asks for `no_such_db` |
| `database-access-denied` | MariaDB: a user with grants on `app` only asks for `no_such_db` |
| `too-many-clients` | PostgreSQL `max_connections = 3` all taken (two sessions and a superuser); MariaDB `--max-connections=10` (its minimum) taken by ten sessions |
| `reserved-connection-slots` | PostgreSQL `max_connections = 3`, `superuser_reserved_connections = 1`, two ordinary slots taken |
| `terminated-by-administrator` | `pg_terminate_backend()` on the client's backend during `SELECT pg_sleep(20)`; MariaDB: `KILL` during `SELECT SLEEP(60)` |
| `backend-killed` | `kill -KILL` on the client's backend during `SELECT pg_sleep(20)` |
| `crash-of-another-backend` | `kill -KILL` on another backend while the client's query runs |
| `immediate-shutdown` | `pg_ctl stop -m immediate` while the client's query runs |
| `unknown-host` | host `db.invalid` inside a private network namespace (`unshare -n -m`) whose resolv.conf points at a loopback DNS server answering NXDOMAIN (`clients/python/nxdomain_dns.py`) |
| `dns-unavailable` | the same namespace with no DNS server answering |
| `ordinary-*` | **negatives**: a healthy server and an ordinary SQL failure (syntax error, missing table, unique violation, statement timeout, division by zero) |

Clients (probe programs in `clients/`; each prints the error exactly as the driver renders it):

| client | command | what is printed |
|---|---|---|
| `psql` | `psql -X -w -v ON_ERROR_STOP=1 -c "$PROBE_SQL"` (libpq environment) | stderr |
| `psycopg2` | `/usr/bin/python3 clients/python/probe.py psycopg2` | `str(exception)` |
| `psycopg` | `/usr/bin/python3 clients/python/probe.py psycopg` (psycopg 3) | `str(exception)` |
| `node-pg` | `node clients/js/probe.mjs pg` | `err.message` |
| `go-libpq` | `clients/go/probe.go libpq` (`database/sql` + lib/pq) | `err.Error()` |
| `go-pgx` | `clients/go/probe.go pgx` (`pgx.Connect`) | `err.Error()` |
| `jdbc` | `java -cp …:/usr/share/java/postgresql.jar Probe` | `printStackTrace()`: first line is `class: getMessage()` (Surefire's `message`), the rest its failure body |
| `mariadb` | `mariadb --protocol=TCP -h … -e "$PROBE_SQL"` | stderr |
| `pymysql` | `/usr/bin/python3 clients/python/probe.py pymysql` | `str(exception)` |
| `node-mysql2` | `node clients/js/probe.mjs mysql2` | `err.message` |

JUnit reports: `pytest/<situation>.xml` from `python3 -m pytest -o junit_family=xunit2 --junitxml=…
clients/pytest/test_orders_pg.py` (psycopg2), `node-test/<situation>.xml` from `node --test
--test-reporter=junit clients/js/orders.test.mjs` (pg). Each suite has three tests that use the
database (they fail with the situation's message), one that fails for an ordinary reason with no
database (`test_total_rounding` / `total rounding`) and one that passes.

## What could not be produced, and what is left unrecognised

- `timeout` against a remote black-hole address (e.g. 10.255.255.1): not tried, since no traffic may
  leave this machine; the full-accept-queue listener gives the same client-side connect timeout.
- `after-backend-crash`: the moment is a few milliseconds; psycopg 3, node-pg and the JVM start too
  slowly to connect inside it and reach the restarted server (table below).
- `terminated-by-administrator` with `go-libpq`: Go's `database/sql` sees `driver.ErrBadConn` and
  retries the query on a new connection, which succeeds, so the test would not fail at all.
- Starting-up, shutting-down and pg_hba situations for MySQL: MariaDB has no such states worth
  provoking here; their MySQL forms in `tests/core/unreachable.test.ts` are marked hand-written.
- Captured but deliberately **not** recognised by `src/core/unreachable.ts`: pgx's bare
  `unexpected EOF` and lib/pq's bare `EOF` (a backend killed mid-query, a port that closes before
  the handshake): the same texts as any truncated read in a test.

## Versions
EOF
  echo
  echo "- PostgreSQL server: $(ver "$PG_BIN/postgres" -V)"
  echo "- psql: $(ver psql --version)"
  echo "- psycopg2: $(ver "$PY" -c 'import psycopg2,psycopg2.extensions as e;print(psycopg2.__version__, "libpq", e.libpq_version())')"
  echo "- psycopg: $(ver "$PY" -c 'import psycopg;print(psycopg.__version__, psycopg.pq.__impl__, "libpq", psycopg.pq.version())')"
  echo "- node-pg: pg $(node -p 'require(process.argv[1] + "/node_modules/pg/package.json").version' "$CLIENTS/js" 2>/dev/null) on node $(node --version)"
  echo "- go-libpq: golang-github-lib-pq-dev $(dpkg-query -W -f '${Version}' golang-github-lib-pq-dev 2>/dev/null), $(ver go version)"
  echo "- go-pgx: golang-github-jackc-pgx-v4-dev $(dpkg-query -W -f '${Version}' golang-github-jackc-pgx-v4-dev 2>/dev/null)"
  echo "- jdbc: libpostgresql-jdbc-java $(dpkg-query -W -f '${Version}' libpostgresql-jdbc-java 2>/dev/null), $(java -version 2>&1 | head -1)"
  echo "- MariaDB server and client: $(ver mariadb --version)"
  echo "- pymysql: $(ver "$PY" -c 'import pymysql;print(pymysql.__version__)')"
  echo "- node-mysql2: mysql2 $(node -p 'require(process.argv[1] + "/node_modules/mysql2/package.json").version' "$CLIENTS/js" 2>/dev/null)"
  echo "- pytest: $(ver "$PY" -m pytest --version)"
  echo
  echo "## What each client printed (first line)"
  echo
  echo "Generated from the run; \`-\` in *exit* means the situation could not be produced for that client."
  echo
  echo '| situation | client | exit | first line |'
  echo '|---|---|---|---|'
  sort -t$'\t' -k1,1 -s "$MANIFEST" | while IFS=$'\t' read -r s c rc first; do
    first=${first//|/\\|}
    printf '| `%s` | `%s` | %s | %s |\n' "$s" "$c" "$rc" "$first"
  done
} >"$OUT/README.md"
log "done: $(find "$OUT/messages" -type f | wc -l) messages, $(find "$OUT/pytest" "$OUT/node-test" -name '*.xml' | wc -l) JUnit reports"
exit 0
}
