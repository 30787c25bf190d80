#!/usr/bin/env bash
# Email sending benchmark: N messages through Herald to Postfix's smtp-sink on loopback, and the same N with Postfix's
# smtp-source to the same sink, in one run; prints both rates (messages/second) and the ratio Herald / smtp-source.
# A last line times Herald's SMTP transport alone (no API, no database) to show where the time goes.
# usage: bench/email.sh [N] [CONNECTIONS]   (default 10000 messages, 8 connections; needs postfix installed, run as root)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
conns=${2:-8}
echo "machine: $(nproc) CPU, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
dotnet build bench/Herald.Bench.Email -c Release -v q --nologo >/dev/null
bin=bench/Herald.Bench.Email/bin/Release/net10.0/Herald.Bench.Email
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# -u: smtp-sink refuses to keep root privileges; 1000: listen backlog.
smtp-sink -u nobody "127.0.0.1:$port" 1000 &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
sleep 0.5
# Herald's message (text + HTML alternatives, VERP, List-Unsubscribe, Message-ID) is about 1.6 KB; smtp-source sends
# the same size, over the same number of connections, each reused for many messages (-d), one recipient each.
start=$(date +%s.%N)
smtp-source -d -s "$conns" -m "$n" -l 1600 -f sender@bench.test -t rcpt@d0.bench.test "127.0.0.1:$port"
end=$(date +%s.%N)
source_rate=$(python3 -c "print(round($n / ($end - $start)))")
echo -e "smtp-source\t$n\t$(python3 -c "print(f'{$end - $start:.2f}')")\t$source_rate"
herald=$("$bin" 127.0.0.1 "$port" "$n" "$conns")
echo "$herald"
herald_rate=$(echo "$herald" | cut -f4)
echo "ratio herald / smtp-source: $(python3 -c "print(f'{$herald_rate / $source_rate:.2f}')") (goal >= 0.5)"
# Diagnosis, not the figure: Herald's SMTP transport alone (no API, no database), the same N over the same connections.
BENCH_TRANSPORT_ONLY=1 "$bin" 127.0.0.1 "$port" "$n" "$conns"
# And the CPU of building and serialising Herald's message alone, one thread, no network.
BENCH_BUILD_ONLY=1 "$bin" 127.0.0.1 "$port" "$n" "$conns"
