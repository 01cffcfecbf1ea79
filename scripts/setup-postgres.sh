#!/usr/bin/env bash
# Installs (if missing) and starts a local PostgreSQL server, creates the test role and
# database, and prints the URL to use: export ONESTOP_TEST_POSTGRES_URL=$(scripts/setup-postgres.sh)
# Works as root on Debian (CI) and for a developer with sudo. Idempotent.
set -euo pipefail

ROLE=${ONESTOP_PG_ROLE:-onestop}
PASSWORD=${ONESTOP_PG_PASSWORD:-onestop}
DB=${ONESTOP_PG_DB:-onestop_test}
PORT=${ONESTOP_PG_PORT:-5432}

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

log() { printf '[setup-postgres] %s\n' "$*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq postgresql postgresql-contrib >&2
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
  log "creating cluster $VERSION main"
  $SUDO pg_createcluster "$VERSION" main --port "$PORT" >&2
fi

if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting cluster $VERSION main"
  $SUDO pg_ctlcluster "$VERSION" main start >&2 || $SUDO service postgresql start >&2
fi

PORT=$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $3}')
for _ in $(seq 1 30); do
  if $SUDO -u postgres psql -p "$PORT" -qAtc 'select 1' >/dev/null 2>&1 || \
     su postgres -c "psql -p $PORT -qAtc 'select 1'" >/dev/null 2>&1; then
    break
  fi
  sleep 1
done

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -qAt -c \"$1\""
  else sudo -u postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -qAt -c "$1"; fi
}

if [[ -z $(as_postgres "select 1 from pg_roles where rolname='$ROLE'") ]]; then
  log "creating role $ROLE"
  as_postgres "create role $ROLE login createdb password '$PASSWORD'"
fi
if [[ -z $(as_postgres "select 1 from pg_database where datname='$DB'") ]]; then
  log "creating database $DB"
  as_postgres "create database $DB owner $ROLE"
fi

printf 'postgresql+psycopg://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$PASSWORD" "$PORT" "$DB"
