#!/usr/bin/env bash
# Email sending benchmark: N messages through Herald to Postfix's smtp-sink on loopback, and the same N with Postfix's
# smtp-source to the same sink, in one run; prints each rate (messages/second) and its ratio to smtp-source.
# Herald runs on SQLite and on a private PostgreSQL (fsync on, as in production), each with 1 and 2 dispatching
# processes. With BENCH_BEFORE=GIT-REF it also builds that commit's bench and runs it the same way (1 process), so
# "before" and "after" are measured in the same run on the same machine.
# usage: [BENCH_BEFORE=REF] bench/email.sh [N] [CONNECTIONS]   (default 10000 messages, 8 connections; run as root,
# with postfix and postgresql installed: ./test.sh installs both)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
conns=${2:-8}
echo "machine: $(nproc) CPU, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  [ -n "${sink:-}" ] && kill "$sink" 2>/dev/null || true
  [ -d "$work/pg" ] && su postgres -c "$pgbin/pg_ctl -D $work/pg/data -m immediate stop" >/dev/null 2>&1 || true
  [ -d "$work/before" ] && git worktree remove --force "$work/before" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build bench/Herald.Bench.Email -c Release -v q --nologo >/dev/null
bin=bench/Herald.Bench.Email/bin/Release/net10.0/Herald.Bench.Email
before_bin=""
if [ -n "${BENCH_BEFORE:-}" ]; then
  git worktree add --detach "$work/before" "$BENCH_BEFORE" >/dev/null 2>&1
  dotnet build "$work/before/bench/Herald.Bench.Email" -c Release -v q --nologo >/dev/null
  before_bin="$work/before/bench/Herald.Bench.Email/bin/Release/net10.0/Herald.Bench.Email"
fi

# A private PostgreSQL 15 in the temp folder (never the system instance).
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgport=$(free_port)
mkdir -p "$work/pg" && chown postgres "$work/pg"
su postgres -c "$pgbin/initdb -D $work/pg/data -A trust -U postgres" >/dev/null
su postgres -c "$pgbin/pg_ctl -D $work/pg/data -l $work/pg/log -w -o '-p $pgport -k $work/pg -c listen_addresses=127.0.0.1' start" >/dev/null
new_pg() { local name="bench_$RANDOM$RANDOM"; psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c "CREATE DATABASE $name" >/dev/null;
           echo "Host=127.0.0.1;Port=$pgport;Username=postgres;Database=$name"; }

port=$(free_port)
# -u: smtp-sink refuses to keep root privileges; 1000: listen backlog.
smtp-sink -u nobody "127.0.0.1:$port" 1000 &
sink=$!
sleep 0.5
# Herald's message (text + HTML alternatives, VERP, List-Unsubscribe, Message-ID) is about 1.6 KB; smtp-source sends
# the same size, over the same number of connections, each reused for many messages (-d), one recipient each.
start=$(date +%s.%N)
smtp-source -d -s "$conns" -m "$n" -l 1600 -f sender@bench.test -t rcpt@d0.bench.test "127.0.0.1:$port"
end=$(date +%s.%N)
source_rate=$(python3 -c "print(round($n / ($end - $start)))")
echo -e "smtp-source\t$n\t$(python3 -c "print(f'{$end - $start:.2f}')")\t$source_rate"

run() { # label binary provider processes
  local cs=""; [ "$3" = postgres ] && cs=$(new_pg)
  local line rate
  line=$(BENCH_PROCESSES=$4 "$2" 127.0.0.1 "$port" "$n" "$conns" "$3" "$cs" 2>"$work/stderr") || { cat "$work/stderr" >&2; return 1; }
  rate=$(echo "$line" | cut -f4)
  echo -e "$1\t$(echo "$line" | cut -f2-4)\tratio to smtp-source $(python3 -c "print(f'{$rate / $source_rate:.2f}')")\t$(cat "$work/stderr")"
  eval "rate_$(echo "$1" | tr -c 'a-z0-9\n' '_')=$rate"
}
if [ -n "$before_bin" ]; then
  run before-sqlite-1p "$before_bin" sqlite 1
  run before-postgres-1p "$before_bin" postgres 1
fi
run sqlite-1p "$bin" sqlite 1
run sqlite-2p "$bin" sqlite 2
run postgres-1p "$bin" postgres 1
run postgres-2p "$bin" postgres 2
echo "postgres / sqlite (1 process): $(python3 -c "print(f'{$rate_postgres_1p / $rate_sqlite_1p:.2f}')") (goal >= 0.7)"
echo "postgres / sqlite (2 processes): $(python3 -c "print(f'{$rate_postgres_2p / $rate_sqlite_2p:.2f}')")"
# Diagnosis, not the figure: Herald's SMTP transport alone (no API, no database), the same N over the same connections.
BENCH_TRANSPORT_ONLY=1 "$bin" 127.0.0.1 "$port" "$n" "$conns"
