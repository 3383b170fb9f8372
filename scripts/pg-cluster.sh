#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for CI and outage tests, independent of the system cluster's state.
#   scripts/pg-cluster.sh start DIR PORT   -> prints postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/pg-cluster.sh stop DIR          (stops and removes the cluster)
#   scripts/pg-cluster.sh pause DIR         (stops it, keeping the data: outage tests)
#   scripts/pg-cluster.sh resume DIR PORT   (starts it again on the same port)
# initdb refuses to run as root, so as root the cluster runs as the postgres user.
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start|resume)
    port=$3
    if [ "$cmd" = start ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres "$dir"
      as_pg "$bin/initdb" --auth=trust -U postgres -D "$dir/data" --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  pause)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR | pause DIR | resume DIR PORT" >&2; exit 2 ;;
esac
