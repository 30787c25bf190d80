#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/screenshots/*.png): starts Herald on SQLite with the sandbox transport and
# its mailbox simulator in a temporary data folder, adds a school, two users and demo contacts, sends one announcement,
# waits for its feedback, then signs in with Debian's Chromium (/usr/bin/chromium, never a downloaded browser) and
# writes the report, a contact's full log, the support console and the queue monitor.
# usage: docs/screenshots/make.sh   (from anywhere; needs the .NET 10 SDK, chromium, curl and python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/screenshots
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export HERALD__DATADIRECTORY="$tmp" HERALD__URLS="$base" HERALD__DATABASE__PROVIDER=sqlite
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

dotnet build src/Herald -c Release -v q --nologo >/dev/null
dotnet build tools/Herald.Screenshots -c Release -v q --nologo >/dev/null
herald=src/Herald/bin/Release/net10.0/herald
password='screenshots only, not a real password'

"$herald" schools add hillside --name "Hillside School" --from office@hillside.example --region GB >/dev/null
key=$("$herald" keys create --school hillside --name office 2>/dev/null)
echo "$password" | "$herald" users add --email office@hillside.example --name "Olivia Office" --role staff --school hillside --password-stdin >/dev/null
echo "$password" | "$herald" users add --email sam@operator.example --name "Sam Support" --role support --password-stdin >/dev/null

"$herald" serve >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.2; done
curl -sf "$base/health" >/dev/null || { cat "$tmp/serve.log"; exit 1; }

api() { curl -sf -H "Authorization: Bearer $key" "$@"; }
# A fresh database: the contacts are 1-6 in this order, the announcement is 1.
api -H "Content-Type: text/csv" --data-binary @- "$base/api/v1/contacts/import" >/dev/null <<'CSV'
external_id,role,name,email,mobile,groups,opt_outs,digest
S1,student,Ada Lovelace,delivered+ada@simulator.herald.invalid,+447400123456,year-7,,no
S2,student,Cy Hard,hard-bounce+cy@simulator.herald.invalid,,year-7,,no
S3,student,Di Spam,complaint+di@simulator.herald.invalid,,year-7,,no
S4,student,Ed Away,auto-reply+ed@simulator.herald.invalid,,year-7,,no
G1,guardian,Bob Lovelace,,+447400123457,year-7,,no
S5,student,Fay Reject,reject+fay@simulator.herald.invalid,,year-7,,no
CSV
api -H "Content-Type: application/json" "$base/api/v1/announcements" >/dev/null \
  -d '{"subject":"Sports day on Friday","text":"Sports day starts at 9. Bring a water bottle.","channels":["email"],"category":"events","audience":{"groups":["year-7"]}}'
api -X POST "$base/api/v1/announcements/1/send" >/dev/null
# Until the simulator's feedback is in: a hard bounce and a spam complaint.
for _ in $(seq 150); do
  api "$base/api/v1/announcements/1/report" | python3 -c '
import json, sys
c = json.load(sys.stdin)["counts"]["email"]
sys.exit(0 if c.get("hard_bounce", 0) >= 1 and c.get("spam", 0) >= 1 and c.get("queued", 0) == 0 else 1)' && break
  sleep 0.2
done

tools/Herald.Screenshots/bin/Release/net10.0/Herald.Screenshots "$base" "$out" "$password" \
  office@hillside.example sam@operator.example 1 2 hard-bounce+cy@simulator.herald.invalid
