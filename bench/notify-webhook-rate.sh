#!/usr/bin/env bash
# Webhook delivery rate of the notification outbox (see bench/README.md).
# Usage: bench/notify-webhook-rate.sh [--events N] [--backend sqlite|postgres] [--debug]
# PostgreSQL needs ISACX_TEST_POSTGRES_URL (a fresh schema is made and dropped).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile=(--release)
args=()
for a in "$@"; do
    if [[ "$a" == "--debug" ]]; then profile=(); else args+=("$a"); fi
done
exec cargo run --quiet "${profile[@]}" --manifest-path "$repo/Cargo.toml" -p isacx-tests --example webhook_rate -- "${args[@]}"
