#!/usr/bin/env bash
# with-postgres.sh -- run a command against a throwaway PostgreSQL cluster.
#
#   scripts/with-postgres.sh <command> [args...]
#
# Starts a fresh PostgreSQL (15 by default) in a temporary directory, listening on
# 127.0.0.1 only, on a free port chosen by the OS, with password (SCRAM) authentication
# for a test role with a generated password. The command runs with:
#
#   DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:PORT/DB
#   PGHOST=127.0.0.1 PGPORT PGUSER PGPASSWORD PGDATABASE
#
# The server is always stopped and the directory removed afterwards (also on Ctrl-C or
# SIGTERM); the exit code is the command's. Works as root (the cluster then runs as the
# `postgres` OS user) and as any other non-root user (the cluster runs as that user).
#
# Environment:
#   PG_BIN                  directory of initdb/pg_ctl/... (default: newest of
#                           /usr/lib/postgresql/15/bin, then /usr/lib/postgresql/*/bin, then PATH)
#   WITH_POSTGRES_TIMEOUT   seconds to wait for the server to accept connections (default 30)
#   WITH_POSTGRES_TMPDIR    parent of the temporary directory (default /tmp)
#   WITH_POSTGRES_PORT      port to try first (default: a free one from the OS); if it is
#                           taken, free ports are tried instead
#   WITH_POSTGRES_USER      test role and database name (default app_test)
#   WITH_POSTGRES_INSTALL   when 1 (default) and run as root with no PostgreSQL found,
#                           install Debian's postgresql-15 with apt-get
set -Eeuo pipefail

log() { printf 'with-postgres: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $# -gt 0 ]] || { echo "usage: $0 <command> [args...]" >&2; exit 2; }

TIMEOUT=${WITH_POSTGRES_TIMEOUT:-30}
DB_USER=${WITH_POSTGRES_USER:-app_test}
DB_NAME=$DB_USER
[[ $DB_USER =~ ^[a-z_][a-z0-9_]*$ ]] || die "WITH_POSTGRES_USER must be a plain lower-case identifier"

# --- find (or install) the server binaries -------------------------------------------
find_pg_bin() {
  if [[ -n ${PG_BIN:-} ]]; then [[ -x $PG_BIN/initdb ]] && echo "$PG_BIN"; return; fi
  local d
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then echo /usr/lib/postgresql/15/bin; return; fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    [[ -x $d/initdb ]] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
  return 0
}
BIN=$(find_pg_bin)
if [[ -z $BIN && $(id -u) -eq 0 && ${WITH_POSTGRES_INSTALL:-1} == 1 ]] && command -v apt-get >/dev/null; then
  log "no PostgreSQL server binaries found: installing postgresql-15 with apt-get"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >&2
  BIN=$(find_pg_bin)
fi
[[ -n $BIN ]] || die "no PostgreSQL server binaries (initdb, pg_ctl, postgres, pg_isready); set PG_BIN"
for tool in initdb pg_ctl postgres pg_isready psql; do
  [[ -x $BIN/$tool ]] || command -v "$tool" >/dev/null || die "missing $tool in $BIN"
done
pgtool() { if [[ -x $BIN/$1 ]]; then echo "$BIN/$1"; else command -v "$1"; fi; }

# --- who runs the cluster --------------------------------------------------------------
# initdb/postgres refuse to run as root: as root, run them as the `postgres` OS user.
if [[ $(id -u) -eq 0 ]]; then
  PG_OS_USER=postgres
  id "$PG_OS_USER" >/dev/null 2>&1 || die "running as root but there is no '$PG_OS_USER' OS user"
  if command -v runuser >/dev/null; then
    as_pg() { (cd "$WORK" && runuser -u "$PG_OS_USER" -- "$@"); }
  else
    as_pg() { (cd "$WORK" && su -s /bin/sh "$PG_OS_USER" -c "$(printf '%q ' "$@")"); }
  fi
else
  PG_OS_USER=$(id -un)
  as_pg() { (cd "$WORK" && "$@"); }
fi

# --- temporary directory and cleanup ---------------------------------------------------
WORK=$(mktemp -d "${WITH_POSTGRES_TMPDIR:-/tmp}/with-postgres.XXXXXXXX")
DATA=$WORK/data
SOCK=$WORK/sock
PGLOG=$WORK/postgres.log
STARTED=0
CLEANED=0

cleanup() {
  [[ $CLEANED -eq 1 ]] && return
  CLEANED=1
  if [[ $STARTED -eq 1 && -f $DATA/postmaster.pid ]]; then
    # fast: roll back open transactions, disconnect clients, checkpoint. Bounded.
    as_pg "$(pgtool pg_ctl)" stop -D "$DATA" -m fast -w -t 15 >/dev/null 2>&1 ||
      as_pg "$(pgtool pg_ctl)" stop -D "$DATA" -m immediate -w -t 10 >/dev/null 2>&1 || true
  fi
  rm -rf -- "$WORK"
}
CHILD=
on_signal() {
  local sig=$1 code=$2
  trap - INT TERM
  if [[ -n $CHILD ]] && kill -0 "$CHILD" 2>/dev/null; then
    log "received SIG$sig: stopping the command (pid $CHILD)"
    kill -TERM "$CHILD" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$CHILD" 2>/dev/null || true
  fi
  log "received SIG$sig: stopping PostgreSQL"
  cleanup
  exit "$code"
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

chmod 700 "$WORK"
[[ $PG_OS_USER == "$(id -un)" ]] || chown "$PG_OS_USER" "$WORK"
as_pg mkdir -m 700 "$SOCK"

# --- initdb ---------------------------------------------------------------------------
PASSWORD=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
[[ ${#PASSWORD} -eq 36 ]] || die "could not generate a password"
LOCALE=C
locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' && LOCALE=C.UTF-8
T0=$(date +%s%N)
# Local (socket) connections: trust, but the socket lives in a 0700 directory owned by the
# cluster's OS user. TCP: password (SCRAM) only.
if ! as_pg "$(pgtool initdb)" -D "$DATA" -U postgres --encoding=UTF8 --locale="$LOCALE" \
  --auth-local=trust --auth-host=scram-sha-256 >"$WORK/initdb.log" 2>&1; then
  cat "$WORK/initdb.log" >&2
  die "initdb failed"
fi
{
  echo "listen_addresses = '127.0.0.1'"
  echo "unix_socket_directories = '$SOCK'"
  echo "password_encryption = 'scram-sha-256'"
  # A throwaway test cluster: durability is not needed, speed is.
  echo "fsync = off"
  echo "synchronous_commit = off"
  echo "full_page_writes = off"
  echo "max_connections = 50"
} | as_pg tee -a "$DATA/postgresql.conf" >/dev/null

# --- pick a free port and start; retry if someone grabs the port first ------------------
free_port() {
  if command -v node >/dev/null; then
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
  elif command -v python3 >/dev/null; then
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
  else
    echo $((20000 + RANDOM % 40000))
  fi
}

# Waits until the server accepts connections. 0 = ready, 1 = port taken (retry), 2 = failed.
wait_ready() {
  local port=$1 deadline=$((SECONDS + TIMEOUT)) rc
  while ((SECONDS < deadline)); do
    rc=0
    "$(pgtool pg_isready)" -q -h 127.0.0.1 -p "$port" -t 2 || rc=$?
    [[ $rc -eq 0 ]] && return 0
    # 1 = rejecting connections (still starting), 2 = no response, 3 = bad parameters.
    [[ $rc -eq 3 ]] && return 2
    if grep -qE 'could not bind|could not create listen socket|Address already in use' "$PGLOG" 2>/dev/null; then
      return 1
    fi
    if grep -qE '^.*(FATAL|PANIC):' "$PGLOG" 2>/dev/null && ! as_pg "$(pgtool pg_ctl)" status -D "$DATA" >/dev/null 2>&1; then
      return 2
    fi
    sleep 0.2
  done
  log "PostgreSQL did not accept connections on 127.0.0.1:$port within ${TIMEOUT}s"
  return 2
}

PORT=
for attempt in 1 2 3 4 5; do
  if [[ $attempt -eq 1 && -n ${WITH_POSTGRES_PORT:-} ]]; then PORT=$WITH_POSTGRES_PORT; else PORT=$(free_port); fi
  [[ $PORT =~ ^[0-9]+$ ]] || die "could not pick a free port"
  as_pg rm -f "$PGLOG"
  as_pg touch "$PGLOG"
  STARTED=1
  # -W: do not let pg_ctl wait; readiness is checked below with pg_isready, bounded.
  as_pg "$(pgtool pg_ctl)" start -W -D "$DATA" -l "$PGLOG" -o "-p $PORT" >/dev/null
  rc=0
  wait_ready "$PORT" || rc=$?
  [[ $rc -eq 0 ]] && break
  as_pg "$(pgtool pg_ctl)" stop -D "$DATA" -m immediate -w -t 10 >/dev/null 2>&1 || true
  STARTED=0
  if [[ $rc -eq 1 && $attempt -lt 5 ]]; then
    log "port $PORT was taken before PostgreSQL could bind it; retrying on another port"
    continue
  fi
  log "server log:"
  sed 's/^/  | /' "$PGLOG" >&2 || true
  die "PostgreSQL failed to start"
done

# --- test role and database -------------------------------------------------------------
as_pg "$(pgtool psql)" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d postgres \
  -v user="$DB_USER" -v pass="$PASSWORD" >/dev/null <<'SQL' || die "could not create the test role and database"
CREATE ROLE :"user" LOGIN PASSWORD :'pass';
CREATE DATABASE :"user" OWNER :"user";
SQL

export DATABASE_URL="postgres://$DB_USER:$PASSWORD@127.0.0.1:$PORT/$DB_NAME"
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=$DB_USER PGPASSWORD=$PASSWORD PGDATABASE=$DB_NAME
unset PGSERVICE PGPASSFILE PGSSLMODE 2>/dev/null || true

# Prove the exact credentials the command gets work over TCP with password auth.
"$(pgtool psql)" -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c 'SELECT 1' >/dev/null ||
  die "could not connect over TCP with the generated credentials"
MS=$((($(date +%s%N) - T0) / 1000000))
log "PostgreSQL $("$(pgtool postgres)" -V | awk '{print $3}') ready on 127.0.0.1:$PORT (database $DB_NAME, user $DB_USER) in ${MS} ms"

# --- run the command ----------------------------------------------------------------------
# In the background (stdin kept) so that INT/TERM reach our trap at once, not after the
# command ends; the trap forwards them.
set +e
"$@" <&0 &
CHILD=$!
wait "$CHILD"
status=$?
CHILD=
set -e
cleanup
log "stopped PostgreSQL on port $PORT; command exited with $status"
exit "$status"
