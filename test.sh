#!/usr/bin/env bash
# Herald's test command: installs what the tests need, restores, builds and runs every test.
# On a fresh Debian machine as root it apt-get installs the real servers the tests start
# (each test run starts its own private instances on 127.0.0.1; system services are never used).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the test fixtures start as private servers.
DEB_PACKAGES=(postgresql postfix dovecot-imapd dovecot-lmtpd kannel chromium tzdata)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    # Installing must not start the system services: the tests run their own instances.
    policy=/usr/sbin/policy-rc.d; had_policy=0; [ -e "$policy" ] && had_policy=1
    [ $had_policy = 1 ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; }
    export DEBIAN_FRONTEND=noninteractive
    # postfix asks for a mail setup at install: none, the tests write their own main.cf.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ $had_policy = 1 ] || rm -f "$policy"
  else
    echo "test.sh: missing Debian packages ${missing[*]}; run as root or install them first" >&2
    exit 1
  fi
fi

dotnet restore Herald.sln --nologo -v q
dotnet build Herald.sln --nologo -v q --no-restore -c Release
results=$(mktemp -d)
set +e
# vstest kills the test host 100 ms after the run by default, cutting short the fixtures'
# ProcessExit teardown of the servers they started (docs/testing.md).
export VSTEST_TESTHOST_SHUTDOWN_TIMEOUT=${VSTEST_TESTHOST_SHUTDOWN_TIMEOUT:-60000}
dotnet test Herald.sln --nologo --no-build -c Release --logger "trx" --results-directory "$results" "$@"
rc=$?
set -e
# One plain closing line for CI: "N passed, N failed".
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
p = f = s = 0
for t in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(t).getroot().find(".//{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $rc
