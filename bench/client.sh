#!/usr/bin/env bash
# bench/client.sh — eopack vs the pinned ORAS CLI on one local distribution registry.
#
# Times, on a random file of BENCH_SIZE_MIB (default 1024 = 1 GiB):
#   cold push  (a fresh repository each run: every byte is uploaded)
#   re-push    (same repository again: the blob is already there)
#   pull       (into an empty folder)
# BENCH_RUNS runs each (default 3), interleaving the two tools; prints the median wall time of
# each, the ratio eopack/oras (target ≤ 1.0) and the peak RSS of each (target for eopack:
# < 64 MiB). Needs the peers from scripts/install-peers.sh; installs Debian's `time` if missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
RUNS=${BENCH_RUNS:-3}
PEERS=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}/bin
for b in registry oras; do
  [[ -x $PEERS/$b ]] || { echo "missing $PEERS/$b: run scripts/install-peers.sh" >&2; exit 1; }
done
bench_need client curl
if [[ ! -x /usr/bin/time ]]; then
  (apt-get update -qq && apt-get install -y -qq time) >/dev/null
fi

bench_init client
WORK=$BENCH_WORK

echo "building eopack…"
(cd "$ROOT" && go build -o "$WORK/eopack" ./cmd/eopack)
EOPACK=$WORK/eopack
ORAS=$PEERS/oras

HOST=127.0.0.1:$(bench_freeport)
bench_distribution_config "$WORK/registry" "$HOST" >"$WORK/registry.yml"
bench_bg "$WORK/registry.log" "$PEERS/registry" serve "$WORK/registry.yml"
bench_waitready "$HOST"

echo "writing a ${SIZE_MIB} MiB random file…"
mkdir -p "$WORK/in"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$WORK/in/blob.bin"

# measure NAME CMD… : appends "seconds kib" to $WORK/NAME.txt
measure() { local name=$1; shift; bench_time_rss "$WORK/$name.txt" "$@"; }

cd "$WORK/in"
for i in $(seq "$RUNS"); do
  echo "run $i/$RUNS"
  measure eopack-cold   "$EOPACK" push "$HOST/bench/eopack-$i:v1" blob.bin
  measure oras-cold     "$ORAS" push --plain-http "$HOST/bench/oras-$i:v1" blob.bin
  measure eopack-repush "$EOPACK" push "$HOST/bench/eopack-$i:v1" blob.bin
  measure oras-repush   "$ORAS" push --plain-http "$HOST/bench/oras-$i:v1" blob.bin
  rm -rf "$WORK/out"; mkdir "$WORK/out"
  measure eopack-pull   "$EOPACK" pull "$HOST/bench/eopack-$i:v1" -o "$WORK/out"
  rm -rf "$WORK/out"; mkdir "$WORK/out"
  measure oras-pull     "$ORAS" pull --plain-http "$HOST/bench/oras-$i:v1" -o "$WORK/out"
  cmp -s "$WORK/out/blob.bin" blob.bin || { echo "pulled file differs" >&2; exit 1; }
  rm -rf "$WORK/out"
done

col() { awk -v c="$2" '{print $c}' "$WORK/$1.txt"; }

printf '\n%-8s %12s %12s %8s %14s %14s\n' op "eopack s" "oras s" ratio "eopack RSS" "oras RSS"
status=0
for op in cold repush pull; do
  e=$(col eopack-$op 1 | bench_median); o=$(col oras-$op 1 | bench_median)
  er=$(col eopack-$op 2 | sort -n | tail -1); or=$(col oras-$op 2 | sort -n | tail -1)
  ratio=$(awk -v e="$e" -v o="$o" 'BEGIN { if (o == 0) o = 0.001; printf "%.2f", e / o }')
  printf '%-8s %12s %12s %8s %11d MiB %11d MiB\n' "$op" "$e" "$o" "$ratio" $((er / 1024)) $((or / 1024))
  awk -v r="$ratio" 'BEGIN { exit !(r > 1.0) }' && status=1
  (( er / 1024 >= 64 )) && status=1
done
echo
if (( status == 0 )); then echo "targets met: every ratio ≤ 1.0, eopack peak RSS < 64 MiB"; else echo "targets NOT met"; fi
