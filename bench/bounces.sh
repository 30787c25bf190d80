#!/usr/bin/env bash
# Bounce classification benchmark: Herald vs MimeKit parse alone (and Sisimai when libsisimai-perl is installed).
# usage: bench/bounces.sh [PASSES]   (run from anywhere; the corpus is ../shared/corpus beside the repo)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus
passes=${1:-20}
[ -d "$corpus/bounces" ] || { echo "bench: corpus not found at $corpus" >&2; exit 1; }
echo "machine: $(nproc) CPU, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
dotnet run --project bench/Herald.Bench.Bounces -c Release -- "$corpus" "$passes"
if perl -MSisimai -e1 2>/dev/null; then
  perl bench/sisimai.pl "$corpus" 3
else
  echo "Sisimai baseline skipped: apt-get install libsisimai-perl"
fi
