#!/usr/bin/env bash
# SMS benchmark: Kannel's own fakesmsc-fed rate vs Herald's SMS submission rate through the same private Kannel.
# usage: bench/sms.sh [N]   (default 2000 messages per measurement; as root it installs kannel and kannel-extras
# (fakesmsc) when missing; the Kannel it starts is private, on 127.0.0.1, in a temp directory)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
missing=()
for p in kannel kannel-extras; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: missing ${missing[*]}; run as root or install them" >&2; exit 1; }
  # Installing must not start Kannel's system service: the benchmark runs its own instance.
  policy=/usr/sbin/policy-rc.d; had_policy=0; [ -e "$policy" ] && had_policy=1
  [ $had_policy = 1 ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $had_policy = 1 ] || rm -f "$policy"
fi
echo "machine: $(nproc) CPU, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
dotnet build bench/Herald.Bench.Sms -c Release -v q --nologo >/dev/null
bench/Herald.Bench.Sms/bin/Release/net10.0/Herald.Bench.Sms "$n"
