#!/usr/bin/env bash
# The main job on the embedded lab: an approved request provisioned to a closed ticket.
#
# Brings the lab up, starts a local SMTP server (the requester's mailbox, on 127.0.0.1),
# opens and approves a ticket for the Dinkes sample request, runs `provision` — which stops
# before the push because the installation slot agreed with the requester (step 6) has not
# started —, runs it again with `--now --reason` (the demo cannot wait for the slot; the
# reason is kept on the ticket's step 7), which stops at the berita acara until it is signed,
# records the signature (the draft PDF stands in for the signed scan), and runs `provision`
# again to finish: report, close, notification.
# Then the OPD's PC (pc-dinkes) takes the plan's address and pings the application server.
# The lab is built at day-0 each run (`lab up --fresh`: a lab left up by an earlier run still
# carries that run's change, while each run starts a fresh ticket store), so the demo can be
# run again and again. The lab stays up for exploring; `sipelangi-net lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${SIPELANGI_DEMO_DIR:-reports/demo/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export SIPELANGI_DB=$OUT/tickets.db SIPELANGI_REPORTS=$OUT SIPELANGI_ACTOR=tim-kerja
export SIPELANGI_SMTP_HOST=127.0.0.1 SIPELANGI_SMTP_PORT=${SIPELANGI_DEMO_SMTP_PORT:-8025}

sipelangi-net lab up --fresh
python -m aiosmtpd -n -l "127.0.0.1:$SIPELANGI_SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$OUT/mailbox" &
SMTP_PID=$!
trap 'kill "$SMTP_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do  # until the SMTP server answers
    python -c "import socket; socket.create_connection(('127.0.0.1', $SIPELANGI_SMTP_PORT), 0.2)" 2>/dev/null && break
    sleep 0.1
done

TICKET=$(sipelangi-net ticket new --file scripts/demo/permohonan-dinkes.yaml --json | python -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sipelangi-net ticket approve "$TICKET" --actor "Kepala Dinas Kominfo" --note "Disetujui" >/dev/null
cat >"$OUT/handover.yaml" <<YAML
# who signs the berita acara (the Tim Kerja engineer and the requester's official)
tim_kerja: {name: "Andi Pratama, S.Kom.", nip: "198503152010011002"}
pemohon: {name: "dr. Siti Rahmawati", nip: "197908212005012003"}
YAML
echo "== $TICKET opened and approved; provisioning"
status=0
sipelangi-net provision "$TICKET" --yes --handover "$OUT/handover.yaml" --json >"$OUT/provision-1.jsonl" || status=$?
WAITING='
import json, sys
last = json.loads(sys.stdin.read().splitlines()[-1])["steps"][-1]
assert (last["name"], last["state"]) == ("agreed slot", "paused"), last
print(last["detail"])'
if [ "$status" != 75 ] || ! python -c "$WAITING" <"$OUT/provision-1.jsonl"; then
    echo "demo: provision should wait for the agreed slot (exit 75), got $status" >&2; exit 1
fi

echo "== the agreed slot has not started; the demo pushes now, with the reason kept on the ticket"
status=0
sipelangi-net provision "$TICKET" --yes --handover "$OUT/handover.yaml" \
    --now --reason "Demo di lab: dipasang sebelum jadwal yang disepakati" || status=$?
if [ "$status" != 75 ]; then echo "demo: provision should wait for the signatures (exit 75), got $status" >&2; exit 1; fi

echo "== the berita acara is signed (the draft stands in for the scan); provisioning again"
sipelangi-net ticket sign "$TICKET" \
    --tim-kerja-name "Andi Pratama, S.Kom." --tim-kerja-nip 198503152010011002 \
    --pemohon-name "dr. Siti Rahmawati" --pemohon-nip 197908212005012003 \
    --scan "$(ls "$OUT/$TICKET"/berita-acara-*.pdf | head -1)" >/dev/null
sipelangi-net provision "$TICKET" --yes --handover "$OUT/handover.yaml"

sipelangi-net ticket show "$TICKET"

# The OPD's PC takes the plan's first DHCP address and gateway, as the site's DHCP server would
# give them, so the provisioned path can be tried by hand (the bandwidth test gave them back).
PLAN_ADDRESS='
import json, sys
events = json.load(sys.stdin)["events"]
a = next(e["outputs"]["plan"]["addressing"] for e in reversed(events) if e["step"] == 4)
print(a["dhcp_first"] + "/" + a["subnet"].split("/")[1], a["gateway"].split("/")[0])'
read -r PC_ADDRESS PC_GATEWAY < <(sipelangi-net ticket show "$TICKET" --json | python -c "$PLAN_ADDRESS")
sipelangi-net lab exec pc-dinkes -- ip addr replace "$PC_ADDRESS" dev eth0
sipelangi-net lab exec pc-dinkes -- ip route replace default via "$PC_GATEWAY"
echo "== pc-dinkes ($PC_ADDRESS) reaches the application server through the provisioned path:"
sipelangi-net lab exec pc-dinkes -- ping -c1 -W2 10.10.10.10

echo "== the requester's mailbox ($OUT/mailbox):"
for f in "$OUT"/mailbox/new/*; do grep -m1 '^Subject:' "$f"; done
echo "== documents:"
ls "$OUT/$TICKET"/*.pdf
echo "The lab is still up: try 'sipelangi-net lab exec pc-dinkes -- ping -c1 10.10.10.10'; 'sipelangi-net lab down' removes it."
