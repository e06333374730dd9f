#!/usr/bin/env bash
# Entrypoint of a standby container: on first start (empty data directory) clone the primary with
# pg_basebackup through its replication slot, then hand over to the image's entrypoint, which
# starts postgres as the postgres user. The data directory then holds standby.signal and a
# primary_conninfo whose application_name is this standby's server name (the name the primary's
# synchronous_standby_names refers to).
#
# Environment (set by compose.yaml): PGDATA, PRIMARY_HOST, PRIMARY_PORT, REPLICATION_USER,
# REPLICATION_PASSWORD, REPLICATION_SLOT, STANDBY_NAME; BASEBACKUP_ATTEMPTS (default 30).
set -Eeuo pipefail
: "${PGDATA:?}" "${PRIMARY_HOST:?}" "${PRIMARY_PORT:?}" "${STANDBY_NAME:?}"
: "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}" "${REPLICATION_SLOT:?}"
attempts="${BASEBACKUP_ATTEMPTS:-30}"

as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    gosu postgres "$@"
  else
    "$@"
  fi
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -d "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ]; then
    echo "standby: $PGDATA is neither empty nor a data directory; refusing to overwrite it" >&2
    exit 1
  fi
  # Clone into a staging directory on the same volume and rename it when complete, so that an
  # interrupted clone is redone at the next start instead of being started as a data directory.
  parent="$(dirname "$PGDATA")"
  staging="$PGDATA.basebackup"
  mkdir -p "$parent"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$parent"
  fi
  conninfo="host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPLICATION_USER application_name=$STANDBY_NAME"
  for attempt in $(seq 1 "$attempts"); do
    rm -rf "$staging"
    echo "standby: cloning $PRIMARY_HOST:$PRIMARY_PORT (attempt $attempt/$attempts)"
    # -R writes standby.signal and primary_conninfo (with application_name and the password);
    # -S streams the WAL through the slot the primary created for this standby.
    if as_postgres env PGPASSWORD="$REPLICATION_PASSWORD" \
      pg_basebackup -d "$conninfo" -D "$staging" -R -X stream -S "$REPLICATION_SLOT" -c fast; then
      break
    fi
    if [ "$attempt" = "$attempts" ]; then
      echo "standby: pg_basebackup failed $attempts times" >&2
      exit 1
    fi
    sleep 2
  done
  # The clone carries the primary's synchronous_standby_names. Drop it: once promoted, this server
  # would otherwise wait for a standby named like itself, and every commit would hang.
  as_postgres sed -i '/^synchronous_standby_names[[:space:]]*=/d' "$staging/postgresql.auto.conf"
  as_postgres chmod 0700 "$staging"
  rmdir "$PGDATA" 2>/dev/null || true
  mv "$staging" "$PGDATA"
  echo "standby: cloned $PRIMARY_HOST into $PGDATA"
fi

exec docker-entrypoint.sh "$@"
