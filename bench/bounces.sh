#!/usr/bin/env bash
# Bounce classification benchmark: Herald vs MimeKit parse alone (and Sisimai when libsisimai-perl is installed).
# usage: bench/bounces.sh [PASSES] [COPIES]   (run from anywhere; the corpus is ../shared/corpus beside the repo)
# Then the whole process: `herald bounces classify --json` over COPIES copies of the corpus (default 15, ~6,000 files)
# against one perl process running Sisimai over the same files (bench/sisimai-process.pl), start-up included.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus
passes=${1:-20}
copies=${2:-15}
[ -d "$corpus/bounces" ] || { echo "bench: corpus not found at $corpus" >&2; exit 1; }
echo "machine: $(nproc) CPU, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
dotnet run --project bench/Herald.Bench.Bounces -c Release -- "$corpus" "$passes"
if ! perl -MSisimai -e1 2>/dev/null; then
  echo "Sisimai baseline skipped: apt-get install libsisimai-perl"
  exit 0
fi
perl bench/sisimai.pl "$corpus" 3

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# Herald as deployed for batch use: ReadyToRun (precompiled, so start-up does not wait for the JIT), beside the plain build.
dotnet build src/Herald -c Release -v q -nologo >/dev/null
dotnet publish src/Herald -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/r2r" -v q -nologo >/dev/null
mkdir "$work/mail"
for i in $(seq "$copies"); do mkdir "$work/mail/$i"; cp "$corpus"/bounces/*.eml "$corpus"/not-bounces/*.eml "$work/mail/$i/"; done
files=$(find "$work/mail" -name '*.eml' | wc -l)
# Wall time and CPU time (user + system) of one run, output discarded.
run() { local f; f=$(mktemp); /usr/bin/time -f "%e %U %S" -o "$f" "$@" >/dev/null; awk '{printf "%s %.2f\n", $1, $2 + $3}' "$f"; rm -f "$f"; }
"$work/r2r/herald" bounces classify --json "$work/mail" >/dev/null # warm the file cache for all
# Five interleaved rounds, best time of each program: on a shared machine the others' load comes and goes.
best() { sort -n | head -1; }
sis=(); jit=(); r2r=()
for round in 1 2 3 4 5; do
  sis+=("$(run perl bench/sisimai-process.pl "$work/mail")")
  jit+=("$(run src/Herald/bin/Release/net10.0/herald bounces classify --json "$work/mail")")
  r2r+=("$(run "$work/r2r/herald" bounces classify --json "$work/mail")")
done
s=$(printf '%s\n' "${sis[@]}" | best)
for build in JIT ReadyToRun; do
  if [ "$build" = JIT ]; then h=$(printf '%s\n' "${jit[@]}" | best); else h=$(printf '%s\n' "${r2r[@]}" | best); fi
  set -- $h; hw=$1; hc=$2
  set -- $s; sw=$1; sc=$2
  printf 'whole process over %d files (%s, best of 5): herald %.2f s (%.0f msg/s, %.2f CPU-s), Sisimai %.2f s (%.0f msg/s, %.2f CPU-s), ratio %.1fx\n' \
    "$files" "$build" "$hw" "$(echo "$files / $hw" | bc -l)" "$hc" "$sw" "$(echo "$files / $sw" | bc -l)" "$sc" "$(echo "$sw / $hw" | bc -l)"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
