#!/usr/bin/env bash
# Build isacx-server in release, make the Python venv (medallion, requests),
# and run the TAXII load benchmark. Arguments go to bench/taxii-load.py
# (e.g. --only sqlite, --keep); see bench/README.md.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${CARGO_TARGET_DIR:-}" ]]; then
    # A target dir of its own, so debug builds elsewhere never replace the binary under test.
    if [[ -d /work && -w /work ]]; then CARGO_TARGET_DIR=/work/target-bench; else CARGO_TARGET_DIR="$repo/target"; fi
fi
export CARGO_TARGET_DIR

echo "bench: building isacx-server (release) in $CARGO_TARGET_DIR" >&2
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p isacx-server
venv="$(bash "$repo/tests/python/ensure-venv.sh")"
exec "$venv/bin/python" "$repo/bench/taxii-load.py" --isacx-bin "$CARGO_TARGET_DIR/release/isacx-server" "$@"
