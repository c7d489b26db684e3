#!/bin/sh
# The hot standby: on first start a pg_basebackup of the primary (-R writes standby.signal and the connection),
# then PostgreSQL in recovery, streaming. Its configuration and pg_hba.conf come with the base backup.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  until gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U "$PRIMARY_USER" -D "$PGDATA" -R -X stream -c fast; do
    echo "standby: waiting for the primary"; sleep 2
  done
fi
exec gosu postgres postgres -c hot_standby=on -c hot_standby_feedback=on
