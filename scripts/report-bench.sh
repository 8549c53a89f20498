#!/usr/bin/env bash
# The grouping of unanswered questions (BENCHMARKS.md, Report): `report` over
# 10,000, 100,000 and 1,000,000 distinct unanswered wordings (REPORT_SIZES),
# wall time and peak memory. Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin madoguchi --example records_bench
bench=target/release/examples/records_bench
bin=target/release/madoguchi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for n in ${REPORT_SIZES:-10000 100000 1000000}; do
  state="$work/$n"
  "$bench" distinct "sqlite://$state/records.sqlite3" "$n" > /dev/null
  # The first report may build the dictionary and the index: not timed.
  "$bin" report --state "$state" > /dev/null
  for json in "" "--json"; do
    /usr/bin/time -f "report $json over $n distinct wordings: %e s, max RSS %M KiB" \
      "$bin" report $json --state "$state" > /dev/null
  done
done
