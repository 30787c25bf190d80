#!/usr/bin/env bash
# Tracking-pixel benchmark: GET /o/{token} requests per second on loopback against a bare endpoint in the same
# process and run (same 43 bytes and headers, no token check, no database); prints both rates and the ratio
# (goal >= 0.5), on SQLite and on a private PostgreSQL (fsync on, as in production). The load generator is built in
# (bench/Herald.Bench.Tracking: keep-alive connections, each a loop of GETs; wrk is not installed here).
# usage: bench/tracking.sh [SECONDS] [CONNECTIONS] [DELIVERIES]   (default 3 s per round, 16 connections, 1000
# deliveries; run as root with postgresql installed: ./test.sh installs it)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}
conns=${2:-16}
deliveries=${3:-1000}
echo "machine: $(nproc) CPU, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  [ -d "$work/pg" ] && su postgres -c "$pgbin/pg_ctl -D $work/pg/data -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build bench/Herald.Bench.Tracking -c Release -v q --nologo >/dev/null
bin=bench/Herald.Bench.Tracking/bin/Release/net10.0/Herald.Bench.Tracking

"$bin" "$seconds" "$conns" "$deliveries" sqlite

if [ "$(id -u)" = 0 ] && ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  # A private PostgreSQL in the temp folder (never the system instance).
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgport=$(free_port)
  mkdir -p "$work/pg" && chown postgres "$work/pg"
  su postgres -c "$pgbin/initdb -D $work/pg/data -A trust -U postgres" >/dev/null
  su postgres -c "$pgbin/pg_ctl -D $work/pg/data -l $work/pg/log -w -o '-p $pgport -k $work/pg -c listen_addresses=127.0.0.1' start" >/dev/null
  psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c "CREATE DATABASE bench_tracking" >/dev/null
  "$bin" "$seconds" "$conns" "$deliveries" postgres "Host=127.0.0.1;Port=$pgport;Username=postgres;Database=bench_tracking"
else
  echo "postgres: skipped (needs root and postgresql installed)"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
