#!/usr/bin/env bash
# Records benchmarks (BENCHMARKS.md, Records): fills a state directory with
# RECORDS_N questions (default 1,000,000), then times `serve`, `report`,
# `/stats`, the cost of writing a record, kill -9 during a burst, and (with
# MADOGUCHI_BENCH_POSTGRES=postgres://…) two `serve` processes on one
# PostgreSQL database. Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin madoguchi --example records_bench
bench=target/release/examples/records_bench
bin=target/release/madoguchi
n="${RECORDS_N:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
state="$work/state"
url="sqlite://$state/records.sqlite3"

"$bench" fill "$url" "$n"
ls -l "$state/records.sqlite3" | awk '{print "fill: records.sqlite3 " $5 " bytes"}'
"$bench" serve "$state" "$url"
# The first report builds the index it groups questions with: not timed.
"$bin" report --state "$state" > /dev/null
for json in "" "--json"; do
  /usr/bin/time -f "report $json: %e s, max RSS %M KiB" \
    "$bin" report $json --state "$state" > /dev/null
done
"$bench" write "$url"
kill_state="$work/kill"
"$bench" kill "$kill_state" "sqlite://$kill_state/records.sqlite3"
# The one-time import of JSON-lines records of an earlier version.
"$bench" jsonl "$work/old" "$n"
ls -l "$work/old/questions.jsonl" | awk '{print "jsonl: questions.jsonl " $5 " bytes"}'
/usr/bin/time -f "report importing the old files: %e s, max RSS %M KiB" \
  "$bin" report --state "$work/old" > /dev/null
/usr/bin/time -f "report after the import: %e s, max RSS %M KiB" \
  "$bin" report --state "$work/old" > /dev/null
if [ -n "${MADOGUCHI_BENCH_POSTGRES:-}" ]; then
  "$bench" two "$MADOGUCHI_BENCH_POSTGRES"
fi
