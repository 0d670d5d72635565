#!/usr/bin/env bash
# bench/transfers.sh — the cold push of a large file to `eopack serve`, against the limits
# of the same bytes on the same machine, measured in the same run.
#
# On a random file of BENCH_SIZE_MIB (default 1024), BENCH_RUNS runs (default 3), each
# against a fresh `eopack serve` (a fresh storage folder per measurement, so no run finds
# the blob already stored), the file page-cached:
#   sha256       openssl's sha256 of the file (the hashing the client must do)
#   ingest       the server's ingest of the file as one monolithic upload: curl POST, then
#                PUT ?digest= with the whole body (curl does not hash)
#   eopack cold  `eopack push` with an empty cache (digest unknown): the file is uploaded in
#                chunks while hashed; also the bytes it read (rchar of /proc/PID/io) / size
#   eopack warm  `eopack push` with the digest already cached (chunked upload, no hashing)
#   oras         the pinned ORAS CLI pushing the same file
# Prints medians, the ratio eopack/max(sha256, ingest) (target ≤ 1.2) and eopack/oras.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
RUNS=${BENCH_RUNS:-3}
PEERS=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}/bin
[[ -x $PEERS/oras ]] || { echo "missing $PEERS/oras: run scripts/install-peers.sh" >&2; exit 1; }
bench_need transfers curl openssl python3 bc

bench_init transfers
WORK=$BENCH_WORK
echo "building eopack…"
(cd "$ROOT" && go build -o "$WORK/eopack" ./cmd/eopack)
EOPACK=$WORK/eopack
ORAS=$PEERS/oras

echo "writing a ${SIZE_MIB} MiB random file…"
mkdir -p "$WORK/in"
FILE=$WORK/in/blob.bin
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$FILE"
SIZE=$(stat -c %s "$FILE")
DIGEST=sha256:$(openssl dgst -sha256 -r "$FILE" | cut -d' ' -f1)

# fresh_serve : starts eopack serve on a new storage folder; sets ADDR and SERVE_PID.
fresh_serve() {
  rm -rf "$WORK/root"
  ADDR=127.0.0.1:$(bench_freeport)
  bench_bg "$WORK/serve.log" "$EOPACK" serve --addr "$ADDR" --root "$WORK/root"
  SERVE_PID=$BENCH_PID
  bench_waitready "$ADDR"
}
stop_serve() { kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; }
# seconds CMD… : runs CMD, prints its wall seconds
seconds() {
  local t0; t0=$(bench_now)
  "$@" >"$WORK/last.log" 2>&1 || { cat "$WORK/last.log" >&2; exit 1; }
  echo "$(bench_now) - $t0" | bc
}
ingest() {
  local loc
  loc=$(curl -sS -o /dev/null -D - -X POST "http://$ADDR/v2/bench/curl/blobs/uploads/" | tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
  case $loc in http*) ;; *) loc="http://$ADDR$loc" ;; esac
  case $loc in *\?*) loc="$loc&digest=$DIGEST" ;; *) loc="$loc?digest=$DIGEST" ;; esac
  curl -sS -f -o /dev/null -H 'Expect:' -H 'Content-Type: application/octet-stream' -T "$FILE" "$loc"
}
# cold_push : eopack push with an empty cache; appends its rchar to $WORK/rchar.txt
cold_push() {
  rm -rf "$WORK/cache"
  (cd "$WORK/in" && XDG_CACHE_HOME=$WORK/cache sh -c '"$0" push "$1" blob.bin >/dev/null && grep "^rchar:" /proc/$$/io' \
    "$EOPACK" "$ADDR/bench/cold:v1") | awk '{print $2}' >>"$WORK/rchar.txt"
}

: >"$WORK/sha.txt"; : >"$WORK/ingest.txt"; : >"$WORK/cold.txt"; : >"$WORK/warm.txt"; : >"$WORK/oras.txt"; : >"$WORK/rchar.txt"
warm_push() { (cd "$WORK/in" && XDG_CACHE_HOME=$WORK/cache "$EOPACK" push "$ADDR/bench/warm:v1" blob.bin); }
for i in $(seq "$RUNS"); do
  echo "run $i/$RUNS"
  seconds openssl dgst -sha256 "$FILE" >>"$WORK/sha.txt"
  fresh_serve; seconds ingest >>"$WORK/ingest.txt"; stop_serve
  fresh_serve; seconds cold_push >>"$WORK/cold.txt"; stop_serve
  fresh_serve; seconds warm_push >>"$WORK/warm.txt"; stop_serve
  fresh_serve; (cd "$WORK/in" && seconds "$ORAS" push --plain-http "$ADDR/bench/oras:v1" blob.bin) >>"$WORK/oras.txt"; stop_serve
done

med() { bench_median <"$WORK/$1.txt"; }
sha=$(med sha); ing=$(med ingest); cold=$(med cold); warm=$(med warm); oras=$(med oras)
lim=$(echo "if ($sha > $ing) $sha else $ing" | bc)
read_x=$(sort -g "$WORK/rchar.txt" | tail -1 | awk -v s="$SIZE" '{printf "%.3f", $1 / s}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b == 0) ? 0 : a / b }'; }
printf '\nbench/transfers: cold push of a %d MiB file to eopack serve, median of %d runs (seconds)\n' "$SIZE_MIB" "$RUNS"
printf '  sha256 (openssl)                 %6.2f\n' "$sha"
printf '  serve ingest, curl monolithic    %6.2f\n' "$ing"
printf '  limit: the slower of the two     %6.2f\n' "$lim"
printf '  eopack push, cold                %6.2f   %s x limit (target <= 1.2); read %s x the file (most of any run)\n' "$cold" "$(ratio "$cold" "$lim")" "$read_x"
printf '  eopack push, digest cached        %6.2f   %s x limit\n' "$warm" "$(ratio "$warm" "$lim")"
printf '  oras push                        %6.2f   eopack cold/oras %s, cached/oras %s\n' "$oras" "$(ratio "$cold" "$oras")" "$(ratio "$warm" "$oras")"
