#!/usr/bin/env bash
# Soak test: `madoguchi serve` against the fake Discord on 127.0.0.1 for
# SOAK_SECONDS (default 600) at SOAK_RATE questions/s (default 20) from
# SOAK_USERS users (default 500), sampling the bot's RSS every 10 s.
# Not part of `cargo test`; see README (Reliability). Exit code 1 when a
# question went unanswered, was answered twice, or memory kept growing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin madoguchi --example soak
exec target/release/examples/soak "$@"
