#!/usr/bin/env bash
# Entrypoint of the PostgreSQL image the compose test builds from Debian's packages where the
# official image cannot be pulled. It honours what compose.yaml relies on from the official one:
# POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA, PGPORT, the scripts and SQL files of
# /docker-entrypoint-initdb.d run once on an empty data directory (with the server on its Unix
# socket only), password authentication from the network, and `postgres …` as the command.
set -Eeuo pipefail

if [ "${1:-}" != postgres ]; then exec "$@"; fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec gosu postgres "$BASH_SOURCE" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
  export POSTGRES_USER="${POSTGRES_USER:-postgres}"
  export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} -D "$PGDATA" >/dev/null
  printf '\nhost all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"

  shift
  options="-c listen_addresses='' -p ${PGPORT:-5432}"
  for arg in "$@"; do options+=" $(printf '%q' "$arg")"; done
  pg_ctl -D "$PGDATA" -o "$options" -w start >/dev/null
  set -- postgres "$@"
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
      --set db="$POSTGRES_DB" >/dev/null <<<'CREATE DATABASE :"db";'
  fi
  for file in /docker-entrypoint-initdb.d/*; do
    [ -e "$file" ] || continue
    case "$file" in
      *.sh) if [ -x "$file" ]; then "$file"; else . "$file"; fi ;;
      *.sql) psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$file" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "postgres: initialised $PGDATA"
fi

exec "$@"
