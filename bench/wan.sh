#!/usr/bin/env bash
# bench/wan.sh — a registry over HTTPS some milliseconds away: eopack vs the pinned ORAS CLI,
# against `eopack serve` and the pinned CNCF distribution registry, both serving TLS with a
# self-signed certificate, in one run.
#
# bench/netdelay adds BENCH_RTT_MS (default 20) of round trip in front of each registry.
# Sets (client files on tmpfs when there is one):
#   big    one random file of BENCH_BIG_MIB (256) MiB
#   small  BENCH_SMALL_N (1000) random files of 64 KiB
# For each registry × set × tool, BENCH_RUNS (3) runs, tools interleaved: push (the set made
# new first, so every blob is new to the registry), then pull (compared with the input).
# Prints a markdown table of the medians with the ratio eopack/oras and each tool's peak RSS.
#
# ORAS speaks HTTP/2 where a registry offers it over TLS, eopack HTTP/1.1 (see the README's
# design section); serve's HTTP/2 windows are its own, distribution's Go's defaults.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
RUNS=${BENCH_RUNS:-3}
RTT=${BENCH_RTT_MS:-20}
BIG_MIB=${BENCH_BIG_MIB:-256}
SMALL_N=${BENCH_SMALL_N:-1000}
PEERS=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}/bin
export PATH=$PEERS:$PATH
bench_need wan oras registry curl openssl python3
bench_gnu_time

bench_init wan
WORK=$BENCH_WORK
bench_build wan "$ROOT"

bench_client_dir wan
mkdir -p "$CDIR/big/d" "$CDIR/small/d"

CERT=$WORK/cert.pem KEY=$WORK/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEY" -out "$CERT" \
  -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null

serve_addr=127.0.0.1:$(bench_freeport)
bench_bg "$WORK/serve.log" "$EOPACK" serve --addr "$serve_addr" --root "$WORK/serve-root" --tls-cert "$CERT" --tls-key "$KEY"
dist_addr=127.0.0.1:$(bench_freeport)
{ bench_distribution_config "$WORK/dist-root" "$dist_addr"
  printf '  tls:\n    certificate: %s\n    key: %s\n' "$CERT" "$KEY"; } >"$WORK/dist.yml"
bench_bg "$WORK/dist.log" registry serve "$WORK/dist.yml"
declare -A addr
for r in serve dist; do
  a=$serve_addr; [ $r = dist ] && a=$dist_addr
  p=127.0.0.1:$(bench_freeport)
  bench_bg "$WORK/netdelay-$r.log" "$WORK/netdelay" -listen "$p" -target "$a" -rtt "${RTT}ms"
  addr[$r]=$p
done
for a in "${addr[@]}"; do
  for _ in $(seq 200); do curl -s -o /dev/null --cacert "$CERT" "https://$a/v2/" && break; sleep 0.05; done
  curl -sS -o /dev/null --cacert "$CERT" "https://$a/v2/"
done

echo "bench/wan: writing the sets…"
head -c $((BIG_MIB << 20)) /dev/urandom >"$CDIR/big/d/big.bin"
head -c $((SMALL_N * 64 * 1024)) /dev/urandom | (cd "$CDIR/small/d" && split -a 5 -d -b 64K - f)

renew() { bench_renew "$CDIR/$1/d" "$2"; } # renew SET: every file of SET made new
measure() { local out=$1; shift; bench_time_rss "$WORK/$out.txt" "$@"; }

for s in big small; do
  for i in $(seq "$RUNS"); do
    for r in serve dist; do
      echo "bench/wan: $s, run $i/$RUNS on $r"
      cd "$CDIR/$s"
      for tool in eopack oras; do
        renew "$s" "$i $r $tool"
        ref=${addr[$r]}/wan/$s-$tool-$i
        if [ $tool = eopack ]; then push=("$EOPACK" push --plain-http=false --ca-file "$CERT"); pull=("$EOPACK" pull --plain-http=false --ca-file "$CERT")
        else push=(oras push --no-tty --ca-file "$CERT"); pull=(oras pull --no-tty --ca-file "$CERT"); fi
        measure "$r-$s-$tool-push" "${push[@]}" "$ref:v1" d/*
        bench_pull "$r-$s-$tool-pull" "$CDIR/$s" "${pull[@]}" "$ref:v1"
      done
      cd "$WORK"
    done
  done
done

echo
echo "HTTPS, ${RTT} ms round trip; big: 1 × ${BIG_MIB} MiB, small: ${SMALL_N} × 64 KiB; medians of $RUNS"
echo
echo "| registry | set | op | eopack s | oras s | eopack/oras | eopack RSS MiB | oras RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
for r in serve dist; do
  for s in big small; do
    for op in push pull; do
      e=$(bench_med "$r-$s-eopack-$op"); o=$(bench_med "$r-$s-oras-$op")
      echo "| $r | $s | $op | $e | $o | $(bench_ratio "$e" "$o") | $(bench_peak "$r-$s-eopack-$op") | $(bench_peak "$r-$s-oras-$op") |"
    done
  done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
