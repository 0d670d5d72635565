#!/usr/bin/env bash
# Benchmarks eopack's EO product path against `eopack serve`:
#  - a 6-band product of 6 x BAND_MIB (default 256) MiB files described by a STAC item;
#  - times `push --stac`, a full `pull --stac`, and a single-band `pull --stac --band B3`
#    (median of RUNS runs each), and prints the single-band/full time ratio (target <= 0.2);
#  - pushes a new version in which one band changed and prints the bytes actually sent
#    (from push's "Pushed N blobs (X bytes)" line), which should be about one band.
# The band files are random bytes with a hand-written STAC item (asset type COG): push --stac
# takes files as they are and never parses them, so their content does not change what is
# measured (hashing, upload, download, verify, write) — and random bytes do not compress.
# Env: BAND_MIB (256), RUNS (3), REGISTRY (serve|distribution, default serve), EOPACK_PEERS.
# Temp data (~5 x 6 x BAND_MIB) is removed at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/lib.sh"
peers=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}
export PATH="$peers/bin:$PATH"
BAND_MIB=${BAND_MIB:-256} RUNS=${RUNS:-3} REGISTRY=${REGISTRY:-serve}
bench_need eo python3 curl bc

bench_init eo
work=$BENCH_WORK

sent_bytes() { sed -n 's/^Pushed [0-9]* blobs (\([0-9]*\) bytes).*/\1/p' "$1" | tail -1; }
got_bytes() { sed -n 's/^Downloaded [0-9]* blobs (\([0-9]*\) bytes).*/\1/p' "$1" | tail -1; }

(cd "$repo" && go build -o "$work/eopack" ./cmd/eopack)
eopack=$work/eopack
addr=127.0.0.1:$(bench_freeport)
case $REGISTRY in
serve)
  bench_bg "$work/server.log" "$eopack" serve --addr "$addr" --root "$work/root" ;;
distribution)
  bench_need eo registry
  bench_distribution_config "$work/root" "$addr" >"$work/dist.yml"
  bench_bg "$work/server.log" registry serve "$work/dist.yml" ;;
*) echo "bench/eo: REGISTRY must be serve or distribution" >&2; exit 2 ;;
esac
bench_waitready "$addr"

prod=$work/product
mkdir -p "$prod"
echo "bench/eo: writing 6 x ${BAND_MIB} MiB band files"
for b in 1 2 3 4 5 6; do head -c "$((BAND_MIB << 20))" /dev/urandom >"$prod/B$b.tif"; done
python3 - "$prod/item.json" <<'PY'
import json, sys
assets = {f"B{b}": {"href": f"B{b}.tif", "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                    "roles": ["data"], "bands": [{"name": f"B{b}", "data_type": "uint16"}]} for b in range(1, 7)}
item = {"type": "Feature", "stac_version": "1.1.0", "stac_extensions": [], "id": "bench-6band",
        "geometry": {"type": "Polygon", "coordinates": [[[-35, -8.1], [-35, -7.9], [-34.8, -7.9], [-34.8, -8.1], [-35, -8.1]]]},
        "bbox": [-35, -8.1, -34.8, -7.9], "properties": {"datetime": "2001-06-01T12:57:00Z"}, "links": [], "assets": assets}
json.dump(item, open(sys.argv[1], "w"), indent=2)
PY

push_t=() full_t=() one_t=()
for r in $(seq "$RUNS"); do
  ref=$addr/bench/eo$r:v1   # a fresh repository each run, so nothing is skipped as present
  t0=$(bench_now); (cd "$prod" && "$eopack" push "$ref" --stac item.json >"$work/push.out"); t1=$(bench_now)
  push_t+=("$(echo "$t1 - $t0" | bc)")
  rm -rf "$work/full" "$work/one"
  t0=$(bench_now); "$eopack" pull "$ref" --stac -o "$work/full" >"$work/full.out"; t1=$(bench_now)
  full_t+=("$(echo "$t1 - $t0" | bc)")
  t0=$(bench_now); "$eopack" pull "$ref" --stac --band B3 -o "$work/one" >"$work/one.out"; t1=$(bench_now)
  one_t+=("$(echo "$t1 - $t0" | bc)")
  cmp "$prod/B3.tif" "$work/one/B3.tif"
  cmp "$prod/B6.tif" "$work/full/B6.tif"
  [ "$(ls "$work/one" | tr '\n' ' ')" = "B3.tif item.json " ] || { echo "bench/eo: single-band pull wrote $(ls "$work/one")" >&2; exit 1; }
done
push_m=$(printf '%s\n' "${push_t[@]}" | bench_median)
full_m=$(printf '%s\n' "${full_t[@]}" | bench_median)
one_m=$(printf '%s\n' "${one_t[@]}" | bench_median)
total_mib=$((6 * BAND_MIB))
echo "bench/eo: registry=$REGISTRY product=6 x $BAND_MIB MiB runs=$RUNS (medians)"
printf '  push --stac            %6.2f s  (%.0f MiB/s)\n' "$push_m" "$(echo "$total_mib / $push_m" | bc -l)"
printf '  pull --stac (all)      %6.2f s  (%.0f MiB/s)\n' "$full_m" "$(echo "$total_mib / $full_m" | bc -l)"
printf '  pull --stac --band B3  %6.2f s\n' "$one_m"
printf '  single-band/full       %6.3f    (time; target <= 0.2)\n' "$(echo "$one_m / $full_m" | bc -l)"
printf '  single-band/full       %6.3f    (bytes downloaded: %s / %s)\n' "$(echo "$(got_bytes "$work/one.out") / $(got_bytes "$work/full.out")" | bc -l)" "$(got_bytes "$work/one.out")" "$(got_bytes "$work/full.out")"

# New version with one changed band: only that band is uploaded.
head -c "$((BAND_MIB << 20))" /dev/urandom >"$prod/B4.tif"
(cd "$prod" && "$eopack" push "$addr/bench/eo1:v2" --stac item.json >"$work/push2.out")
sent=$(sent_bytes "$work/push2.out")
band=$((BAND_MIB << 20))
echo "  v2 (B4 changed) sent   $sent bytes = $(echo "scale=3; $sent / $band" | bc) x one band ($band bytes)"
grep '^Pushed [0-9]* blobs' "$work/push2.out" | sed 's/^/  /'
