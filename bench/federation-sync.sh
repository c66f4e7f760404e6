#!/usr/bin/env bash
# Federation sync benchmark: two release-built isacx servers on loopback;
# server A holds N TLP:GREEN indicators, server B pulls them from A as a peer
# (one manual sync through the admin API: TAXII pages with added_after, each
# page stored with its cursor in one transaction). Prints, per backend:
#   - objects/s of the sync (wall time of the sync request),
#   - bytes transferred (TAXII response bodies B received) vs bytes stored
#     (the JSON bodies B keeps, provenance extension included),
#   - objects downloaded then discarded (duplicates + refused),
#   - what a second sync transfers (the cursor holds: nothing new).
#
#   bench/federation-sync.sh                  # N=100000, sqlite and postgres
#   N=20000 bench/federation-sync.sh sqlite   # one backend
#   PAGE=5000 bench/federation-sync.sh        # federation.page_size of B
#
# Builds isacx-server in release into $CARGO_TARGET_DIR (else
# /work/target-bench, else ./target). PostgreSQL: fresh databases are made
# through psql at $ISACX_BENCH_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test) and dropped at the end; without
# psql or a reachable server the postgres run is skipped and says so.
# Everything listens on 127.0.0.1; every server started here is stopped on
# exit, failure or Ctrl-C. Bounded: N objects, one sync plus one re-sync.
set -euo pipefail

N=${N:-100000}
PAGE=${PAGE:-1000}
BATCH=5000
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${CARGO_TARGET_DIR:-}" ]]; then
  if [[ -d /work && -w /work ]]; then CARGO_TARGET_DIR=/work/target-bench; else CARGO_TARGET_DIR="$ROOT/target"; fi
fi
export CARGO_TARGET_DIR
PG_URL=${ISACX_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
BACKENDS=("$@")
[[ ${#BACKENDS[@]} -gt 0 ]] || BACKENDS=(sqlite postgres)
PASSWORD=bench-password-for-admin
MEDIA='application/taxii+json;version=2.1'

for b in curl python3; do
  command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }
done
echo "bench: building isacx-server (release) in $CARGO_TARGET_DIR" >&2
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p isacx-server
SERVER=$CARGO_TARGET_DIR/release/isacx-server

TMP=$(mktemp -d)
PIDS=()
DBS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  for db in "${DBS[@]}"; do psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# JSON field of stdin: json_field '["a"]["b"]'
json_field() { python3 -c "import json,sys; v=json.load(sys.stdin)$1; print(v if v is not None else '')"; }

# start_server NAME DATABASE_URL SERVER_ID: starts it, sets PORT_<NAME>.
start_server() {
  local name=$1 url=$2 id=$3 dir=$TMP/$1
  mkdir -p "$dir"
  : >"$dir/server.err"
  (
    export ISACX_SERVER_STORAGE__DATABASE_URL="$url"
    export ISACX_SERVER_STORAGE__DATA_DIR="$dir/data"
    export ISACX_SERVER_HTTP__BIND="127.0.0.1:0"
    export ISACX_SERVER_AUTH__LOGIN_ATTEMPTS_PER_MINUTE=10000
    export ISACX_SERVER_IDENTITY__SERVER_ID="$id"
    export ISACX_SERVER_FEDERATION__PAGE_SIZE="$PAGE"
    export ISACX_SERVER_FEDERATION__TIMEOUT_SECS=300
    export ISACX_SERVER_LOG__FILTER=warn
    echo "$PASSWORD" | "$SERVER" admin create-admin --username admin >/dev/null 2>&1
    exec "$SERVER" serve >"$dir/server.out" 2>"$dir/server.err"
  ) &
  PIDS+=($!)
  local port=
  for _ in $(seq 1 600); do
    port=$(sed -n 's/^isacx-server listening on https:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/server.err" | head -1 || true)
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "$name did not start:" >&2; cat "$dir/server.err" >&2; exit 1; }
  printf -v "PORT_$name" '%s' "$port"
}

login() { # base ca -> token
  curl -sS --fail --cacert "$2" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$1/api/v1/auth/login" | json_field '["token"]'
}

make_batches() {
  [[ -d "$TMP/batches" ]] && return
  python3 - "$N" "$BATCH" "$TMP/batches" <<'PY'
import json, os, sys, uuid
n, size, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out)
for start in range(0, n, size):
    batch = [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
              "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
              "name": f"bench {k}", "indicator_types": ["malicious-activity"],
              "pattern": f"[ipv4-addr:value = '10.{k // 65536}.{(k // 256) % 256}.{k % 256}']",
              "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
              "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
             for k in range(start, min(n, start + size))]
    with open(f"{out}/{start // size:05d}.json", "w") as f:
        json.dump({"objects": batch}, f)
PY
}

# stored_bytes BACKEND URL -> "rows bytes" of B's store
stored_bytes() {
  local q="SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM stix_objects"
  if [[ $1 == sqlite ]]; then
    python3 -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(r[0], r[1])" "${2#sqlite://}" "$q"
  else
    psql -qAt -F ' ' "$2" -c "$q"
  fi
}

run_backend() {
  local backend=$1 url_a url_b
  if [[ $backend == sqlite ]]; then
    url_a="sqlite://$TMP/a-$backend.db"; url_b="sqlite://$TMP/b-$backend.db"
  else
    if ! command -v psql >/dev/null || ! psql -q "$PG_URL" -c 'SELECT 1' >/dev/null 2>&1; then
      echo "postgres: SKIPPED (psql missing or $PG_URL not reachable)"; return
    fi
    local a="bench_fed_a_$$" b="bench_fed_b_$$"
    psql -q "$PG_URL" -c "CREATE DATABASE $a" >/dev/null; DBS+=("$a")
    psql -q "$PG_URL" -c "CREATE DATABASE $b" >/dev/null; DBS+=("$b")
    url_a="${PG_URL%/*}/$a"; url_b="${PG_URL%/*}/$b"
  fi
  start_server "a_$backend" "$url_a" bench-a
  start_server "b_$backend" "$url_b" bench-b
  local pa pb
  pa=PORT_a_$backend; pb=PORT_b_$backend
  local base_a="https://localhost:${!pa}" base_b="https://localhost:${!pb}"
  local ca_a="$TMP/a_$backend/data/tls/ca.pem" ca_b="$TMP/b_$backend/data/tls/ca.pem"

  make_batches
  echo "$backend: publishing $N indicators on A ..." >&2
  local t0 t1
  t0=$(date +%s.%N)
  for f in "$TMP"/batches/*.json; do
    curl -sS --fail --cacert "$ca_a" -u "admin:$PASSWORD" -H "Accept: $MEDIA" -H "Content-Type: $MEDIA" \
      --data-binary @"$f" "$base_a/taxii2/api/collections/all-sectors/objects/" -o /dev/null
  done
  t1=$(date +%s.%N)
  echo "$backend: published in $(printf '%.1f' "$(echo "$t1 - $t0" | bc -l)") s" >&2

  local token_a token_b issued peer
  token_a=$(login "$base_a" "$ca_a"); token_b=$(login "$base_b" "$ca_b")
  issued=$(curl -sS --fail --cacert "$ca_a" -H "Authorization: Bearer $token_a" -H 'Content-Type: application/json' \
    -d '{"name":"bench-b","server_id":"bench-b","api_root":"https://bench-b.example/taxii2/api/","direction":"push","max_tlp":"green"}' \
    "$base_a/api/v1/admin/peers" | json_field '["inbound_token"]')
  peer=$(curl -sS --fail --cacert "$ca_b" -H "Authorization: Bearer $token_b" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench-a\",\"server_id\":\"bench-a\",\"api_root\":\"$base_a/taxii2/api/\",\"direction\":\"pull\",\"token\":\"$issued\",\"ca_file\":\"$ca_a\"}" \
    "$base_b/api/v1/admin/peers" | json_field '["id"]')

  echo "$backend: B pulls from A ..." >&2
  t0=$(date +%s.%N)
  curl -sS --fail --max-time 1800 --cacert "$ca_b" -H "Authorization: Bearer $token_b" -X POST \
    "$base_b/api/v1/admin/peers/$peer/sync" -o "$TMP/sync1-$backend.json"
  t1=$(date +%s.%N)
  curl -sS --fail --max-time 600 --cacert "$ca_b" -H "Authorization: Bearer $token_b" -X POST \
    "$base_b/api/v1/admin/peers/$peer/sync" -o "$TMP/sync2-$backend.json"

  local stored
  stored=$(stored_bytes "$backend" "$url_b")
  python3 - "$backend" "$N" "$PAGE" "$(echo "$t1 - $t0" | bc -l)" "$stored" "$TMP/sync1-$backend.json" "$TMP/sync2-$backend.json" <<'PY'
import json, sys
backend, n, page, secs, stored, first, second = sys.argv[1:]
n, page, secs = int(n), int(page), float(secs)
rows, stored_bytes = (int(x) for x in stored.split())
r1, r2 = json.load(open(first)), json.load(open(second))
if r1.get("error"):
    sys.exit(f"{backend}: sync failed: {r1['error']}")
received = r1["received"]
discarded = r1["duplicates"] + r1["refused"]
got = r1["bytes_received"]
print(f"--- {backend}: N={n}, page size {page}")
print(f"  sync            {secs:8.1f} s   {received / secs:10,.0f} objects/s   ({received:,} received; {rows:,} rows stored on B)")
print(f"  transferred     {got:12,d} bytes of TAXII bodies ({got / max(received, 1):,.0f} per object)")
print(f"  stored          {stored_bytes:12,d} bytes of JSON bodies on B ({stored_bytes / max(rows, 1):,.0f} per object, provenance added)")
print(f"  ratio           {got / max(stored_bytes, 1):12.3f} transferred / stored")
print(f"  discarded       {discarded:12,d} objects downloaded then thrown away (duplicates {r1['duplicates']}, refused {r1['refused']})")
print(f"  second sync     {r2['received']:12,d} received, {r2['duplicates']} duplicates, {r2['bytes_received']} bytes transferred")
if received != n or r2["received"] != 0 or r2["duplicates"] != 0:
    sys.exit(f"{backend}: expected {n} objects once and nothing on the second sync")
PY
}

for backend in "${BACKENDS[@]}"; do
  case $backend in
    sqlite|postgres) run_backend "$backend" ;;
    *) echo "unknown backend $backend (sqlite, postgres)" >&2; exit 2 ;;
  esac
done
