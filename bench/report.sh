#!/usr/bin/env bash
# Report benchmark on SQLite and PostgreSQL: the report's counts vs a plain GROUP BY (ratio), at 100k and 1M deliveries.
# usage: bench/report.sh [REPEATS]   (as root, PostgreSQL 15 from Debian installed; starts a private cluster in a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-50}
echo "machine: $(nproc) CPU, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
dotnet build bench/Herald.Bench.Report -c Release -v q --nologo >/dev/null
bin=bench/Herald.Bench.Report/bin/Release/net10.0/Herald.Bench.Report
tmp=$(mktemp -d); chmod 755 "$tmp"
trap 'runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
"$bin" sqlite "Data Source=$tmp/bench.db" "$repeats"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
mkdir "$tmp/pg" "$tmp/sock" "$tmp/log"; chown postgres "$tmp/pg" "$tmp/sock" "$tmp/log"
runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg" -A trust -U postgres >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/log/pg.log" -w -o "-p $port -k $tmp/sock -c listen_addresses=127.0.0.1" start >/dev/null
"$bin" postgres "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres" "$repeats"
