#!/usr/bin/env bash
# Benchmarks the STAC index and API at scale (not part of `make test`):
#  - generates ITEMS (1,000,000) Landsat/Sentinel-like items over 10 collections (footprints of
#    100–1,200 km over the continents, dates over ten years, eo:cloud_cover, platform, 7 band
#    assets each) and indexes them into a standalone index file through the index API
#    (stacindex.File.PutAll, batches of 5,000, in a bulk load: File.BeginBulk … EndBulk):
#    items/s (target >= 5,000);
#  - serves the file with the STAC API (bench/stac serve: stacapi.Handler under /stac/) and
#    times RUNS searches of each kind over HTTP — random 5°x5° bbox + one-year datetime,
#    limit 100 (p95 target <= 50 ms); the same with the cql2-text filter eo:cloud_cover < 10
#    (<= 100 ms); the same with an exact numberMatched (<= 200 ms) — and the server's peak
#    RSS (<= 300 MiB);
#  - prints a markdown table.
# Env: ITEMS (1000000), RUNS (200), STAC_INDEX (an index file to reuse or to keep: generated
# there when missing, left in place at exit; default a scratch file removed at exit).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/lib.sh"
ITEMS=${ITEMS:-1000000} RUNS=${RUNS:-200}
bench_need stac curl

bench_init stac
work=$BENCH_WORK
(cd "$repo" && go build -o "$work/stacbench" ./bench/stac)
index=${STAC_INDEX:-$work/index.db}

rate="(reused $index)"
if [ ! -e "$index" ]; then
  /usr/bin/time -f "%U %S" -o "$work/gen.cpu" "$work/stacbench" gen -index "$index" -n "$ITEMS" | tee "$work/gen.log"
  rate=$(sed -n 's/^indexed .*: \([0-9]*\) items\/s$/\1/p' "$work/gen.log")
  # The machine may be shared: CPU seconds tell what the indexing itself costs.
  rate="$rate ($(awk -v n="$ITEMS" '{printf "%.0f items per CPU-second", n/($1+$2)}' "$work/gen.cpu"))"
fi
size=$(du -sm "$index" | cut -f1)

addr=127.0.0.1:$(bench_freeport)
bench_bg "$work/serve.log" "$work/stacbench" serve -index "$index" -addr "$addr"
server=$BENCH_PID
for _ in $(seq 200); do curl -s -o /dev/null "http://$addr/stac/" && break; sleep 0.05; done
"$work/stacbench" query -url "http://$addr/stac" -runs "$RUNS" | tee "$work/query.md"
hwm=$(awk '/^VmHWM:/ {printf "%d", $2/1024}' "/proc/$server/status")

echo
echo "| ITEMS | indexing items/s | index file MiB | serve peak RSS MiB |"
echo "|---|---|---|---|"
echo "| $ITEMS | $rate | $size | $hwm |"
