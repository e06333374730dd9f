#!/usr/bin/env bash
# Runs once, when the postgres image initialises an empty data directory of a primary
# (mounted into /docker-entrypoint-initdb.d). The server is running at this point, listening on
# its Unix socket only; its pg_hba.conf and postgresql.auto.conf are read again at the final start.
#
# Environment (set by compose.yaml):
#   REPLICATION_USER, REPLICATION_PASSWORD  the role the standby streams with
#   REPLICATION_SLOT                        the standby's physical replication slot (optional)
#   SYNCHRONOUS_STANDBY                     the standby's application_name; empty = asynchronous
#
# The image executes this file when it is executable and sources it otherwise: the work happens in
# a subshell so that neither `set -u` nor a failure leaks into the image's entrypoint.
(
  set -Eeuo pipefail
  : "${POSTGRES_USER:?}" "${POSTGRES_DB:?}" "${PGDATA:?}"
  : "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}"
  args=(--set repl_user="$REPLICATION_USER" --set repl_password="$REPLICATION_PASSWORD")
  if [ -n "${REPLICATION_SLOT:-}" ]; then
    args+=(--set slot="$REPLICATION_SLOT")
  fi
  if [ -n "${SYNCHRONOUS_STANDBY:-}" ]; then
    # A name such as "dakar-standby" is not a plain identifier: quote it for the setting's grammar.
    args+=(--set sync_names="\"$SYNCHRONOUS_STANDBY\"")
  fi

  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" "${args[@]}" <<'SQL'
CREATE ROLE :"repl_user" WITH LOGIN REPLICATION PASSWORD :'repl_password';
\if :{?slot}
SELECT pg_create_physical_replication_slot(:'slot');
\endif
\if :{?sync_names}
-- Not on the command line: the image's init phase runs with the command-line settings, and a
-- synchronous standby that cannot exist yet would block its CREATE DATABASE forever. Set here, it
-- takes effect at the final start, and stays changeable at run time (ALTER SYSTEM + reload) for
-- asynchronous mode and failover.
ALTER SYSTEM SET synchronous_standby_names = :'sync_names';
\endif
SQL

  # Replication connections match no `all` database line: allow this role from the network.
  printf '\n# streaming replication (docker/postgres/primary-init.sh)\nhost replication %s all scram-sha-256\n' \
    "$REPLICATION_USER" >> "$PGDATA/pg_hba.conf"
)
