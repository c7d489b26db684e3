#!/bin/sh
# Runs once, when the primary's data directory is created: let the standby stream WAL over the compose network.
set -eu
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
