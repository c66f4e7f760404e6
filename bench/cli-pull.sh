#!/usr/bin/env bash
# Pull N indicators with `isacx indicators pull --format stix` and with curl
# fetching the same TAXII pages, and report peak RSS and throughput of each.
#
# Starts its own isacx-server on loopback (SQLite in a temp dir), creates an
# analyst, publishes N indicators over TAXII, then measures. Everything is
# removed at the end. Bounded: one server, N objects, pages of LIMIT.
#
#   bench/cli-pull.sh                      # N=100000, LIMIT=1000, debug binaries
#   N=20000 LIMIT=500 bench/cli-pull.sh
#   BIN_DIR=target/release bench/cli-pull.sh   # after cargo build --release -p isacx -p isacx-server
set -euo pipefail

N=${N:-100000}
LIMIT=${LIMIT:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/debug}
SERVER=$BIN_DIR/isacx-server
ISACX=$BIN_DIR/isacx
PASSWORD=bench-password-for-analyst
for b in "$SERVER" "$ISACX" /usr/bin/time curl python3; do
  [ -x "$b" ] || command -v "$b" >/dev/null || { echo "missing $b (build with: cargo build -p isacx -p isacx-server)" >&2; exit 1; }
done

TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

export ISACX_SERVER_STORAGE__DATABASE_URL="sqlite://$TMP/isacx.db"
export ISACX_SERVER_STORAGE__DATA_DIR="$TMP/data"
export ISACX_SERVER_HTTP__BIND="127.0.0.1:0"
export ISACX_SERVER_AUTH__LOGIN_ATTEMPTS_PER_MINUTE=10000

echo "$PASSWORD" | "$SERVER" admin create-admin --username admin >/dev/null 2>&1
echo "$PASSWORD" | "$SERVER" admin create-user --username analyst --role analyst >/dev/null 2>&1
"$SERVER" serve >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
PORT=
for _ in $(seq 1 600); do
  PORT=$(sed -n 's/^isacx-server listening on https:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/server.err" | head -1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "server did not start:" >&2; cat "$TMP/server.err" >&2; exit 1; }
BASE="https://localhost:$PORT"
CA="$TMP/data/tls/ca.pem"
OBJECTS="$BASE/taxii2/api/collections/all-sectors/objects/"
MEDIA='application/taxii+json;version=2.1'

echo "publishing $N indicators to $BASE ..." >&2
python3 - "$N" "$TMP/batches" <<'PY'
import json, os, sys, uuid
n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out)
batch, size = [], 5000
def flush(i):
    with open(f"{out}/{i:05d}.json", "w") as f:
        json.dump({"objects": batch}, f)
for k in range(n):
    batch.append({"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": f"bench {k}", "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '10.{k // 65536}.{(k // 256) % 256}.{k % 256}']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]})
    if len(batch) == size:
        flush(k // size); batch = []
if batch:
    flush(n // size + 1)
PY
start=$(date +%s)
for f in "$TMP"/batches/*.json; do
  curl -sS --fail --cacert "$CA" -u "analyst:$PASSWORD" -H "Accept: $MEDIA" -H "Content-Type: $MEDIA" \
    --data-binary @"$f" "$OBJECTS" -o /dev/null
done
echo "published in $(( $(date +%s) - start )) s" >&2

CLI=(env -u ISACX_PROFILE -u ISACX_SERVER "$ISACX" --config "$TMP/cli/config.toml")
echo "$PASSWORD" | "${CLI[@]}" --server "$BASE" --ca-file "$CA" login -u analyst --password-stdin >/dev/null

measure() { # label, output file, command...
  local label=$1 out=$2; shift 2
  /usr/bin/time -v "$@" 2>"$TMP/time.txt" >/dev/null
  local rss secs bytes
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/time.txt")
  secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$TMP/time.txt" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  bytes=$(stat -c %s "$out")
  printf '%-34s peak RSS %7d KiB   %7.2f s   %8.0f objects/s   %6.1f MiB/s   output %d bytes\n' \
    "$label" "$rss" "$secs" "$(echo "$N / $secs" | bc -l)" "$(echo "$bytes / 1048576 / $secs" | bc -l)" "$bytes"
}

echo "--- N=$N, LIMIT=$LIMIT, binaries from $BIN_DIR" >&2
measure "isacx indicators pull --format stix" "$TMP/isacx.json" \
  "${CLI[@]}" indicators pull --since 2000-01-01T00:00:00Z --format stix --limit "$LIMIT" -o "$TMP/isacx.json"
COUNT=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['objects']))" "$TMP/isacx.json")
echo "    (bundle holds $COUNT objects)"

TOKEN=$(sed -n 's/^secret = "\(.*\)"$/\1/p' "$TMP/cli/credentials.toml")
cat >"$TMP/curl-pull.sh" <<SH
#!/usr/bin/env bash
# The same pages with curl: added_after from X-TAXII-Date-Added-Last, until more is false.
set -euo pipefail
after=2000-01-01T00:00:00Z
: > "$TMP/curl.out"
while :; do
  curl -sS --fail --cacert "$CA" -H "Authorization: Bearer $TOKEN" -H "Accept: $MEDIA" \
    -D "$TMP/h.txt" -o "$TMP/page.json" "$OBJECTS?limit=$LIMIT&added_after=\$after"
  cat "$TMP/page.json" >> "$TMP/curl.out"
  last=\$(sed -n 's/^[Xx]-[Tt][Aa][Xx][Ii][Ii]-[Dd]ate-[Aa]dded-[Ll]ast: *\([^\r]*\).*/\1/p' "$TMP/h.txt")
  grep -q '"more":true' "$TMP/page.json" || break
  after=\$last
done
SH
chmod +x "$TMP/curl-pull.sh"
measure "curl, same pages (shell loop)" "$TMP/curl.out" "$TMP/curl-pull.sh"
