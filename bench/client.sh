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
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
RUNS=${BENCH_RUNS:-3}
PEERS=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}/bin
for b in registry oras; do
  [[ -x $PEERS/$b ]] || { echo "missing $PEERS/$b: run scripts/install-peers.sh" >&2; exit 1; }
done
if [[ ! -x /usr/bin/time ]]; then
  (apt-get update -qq && apt-get install -y -qq time) >/dev/null
fi

WORK=$(mktemp -d /tmp/eopack-bench-client.XXXXXX)
REG_PID=
cleanup() {
  [[ -n $REG_PID ]] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "building eopack…"
(cd "$ROOT" && go build -o "$WORK/eopack" ./cmd/eopack)
EOPACK=$WORK/eopack
ORAS=$PEERS/oras

# free loopback port
while :; do
  PORT=$((20000 + RANDOM % 20000))
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null || break
done
HOST=127.0.0.1:$PORT
cat >"$WORK/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $WORK/registry
  delete:
    enabled: true
http:
  addr: $HOST
YML
"$PEERS/registry" serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do curl -fs "http://$HOST/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

echo "writing a ${SIZE_MIB} MiB random file…"
mkdir -p "$WORK/in"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$WORK/in/blob.bin"

# measure NAME CMD… : appends "seconds kib" to $WORK/NAME.txt
measure() {
  local name=$1; shift
  sync # flush the previous run's writes so they do not slow this one
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/last.log" 2>&1 || {
    echo "FAILED: $*" >&2; cat "$WORK/last.log" >&2; exit 1; }
  cat "$WORK/t" >>"$WORK/$name.txt"
}

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

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v c="$2" '{print $c}' "$WORK/$1.txt"; }

printf '\n%-8s %12s %12s %8s %14s %14s\n' op "eopack s" "oras s" ratio "eopack RSS" "oras RSS"
status=0
for op in cold repush pull; do
  e=$(col eopack-$op 1 | median); o=$(col oras-$op 1 | median)
  er=$(col eopack-$op 2 | sort -n | tail -1); or=$(col oras-$op 2 | sort -n | tail -1)
  ratio=$(awk -v e="$e" -v o="$o" 'BEGIN { if (o == 0) o = 0.001; printf "%.2f", e / o }')
  printf '%-8s %12s %12s %8s %11d MiB %11d MiB\n' "$op" "$e" "$o" "$ratio" $((er / 1024)) $((or / 1024))
  awk -v r="$ratio" 'BEGIN { exit !(r > 1.0) }' && status=1
  (( er / 1024 >= 64 )) && status=1
done
echo
if (( status == 0 )); then echo "targets met: every ratio ≤ 1.0, eopack peak RSS < 64 MiB"; else echo "targets NOT met"; fi
