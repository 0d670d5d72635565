#!/usr/bin/env bash
# bench/many.sh — artifacts of many files: eopack vs the pinned ORAS CLI, against the pinned
# CNCF distribution registry and against `eopack serve`, in one run.
#
# Sets (generated once into the scratch folder, on tmpfs when there is one):
#   small  BENCH_SMALL_N (1000) random files of 64 KiB
#   big    BENCH_BIG_N (2433, pastis-2433's layer count) random files of 1 MiB
# For each registry × set × tool, BENCH_RUNS (3) runs, tools interleaved: push (the set made
# new first, 32 bytes at the start of every file, so every blob is new to the registry; a
# fresh repository), stored (the same files to another fresh repository: the registry holds
# every blob, the repository none), re-push (the first again: every blob is there), pull
# (into an empty folder, compared with the input). After each run of both tools the registry
# restarts on empty storage. Prints a markdown table of the medians with the ratio eopack/oras,
# each tool's peak RSS (GNU time) and CPU, and the registry's CPU during each tool's run. The
# registry's CPU during eopack's run over the machine's cores is a floor under eopack's time
# that no client making the same requests can go below; "floor/oras" is that floor over
# ORAS's time (and over the limit, for the big set on loopback).
#
# Each round-trip time of BENCH_RTTS (milliseconds, default "0 10") is a network of its own:
# 0 is loopback, and any other puts bench/netdelay in front of both registries, adding that
# round trip to every connection (10 ms: a registry in another city).
#
# Targets: small push and pull ≤ 0.33× ORAS on both registries; big push and pull ≤ 1.1× the
# bytes' own limit, measured in this run (loopback only): sha256 of the files + a loopback
# TCP copy of them, and for a push at least the time to write them to the registries' disk
# (dd + fsync); eopack's peak RSS ≤ 64 MiB. The table marks each row's target
# met (✓) or not (✗). BENCH_SETS="small" runs one set only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
RUNS=${BENCH_RUNS:-3}
SMALL_N=${BENCH_SMALL_N:-1000}
BIG_N=${BENCH_BIG_N:-2433}
SETS=${BENCH_SETS:-small big}
RTTS=${BENCH_RTTS:-0 10}
PEERS=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}/bin
export PATH=$PEERS:$PATH
bench_need many oras registry curl python3 sha256sum
bench_gnu_time

bench_init many
WORK=$BENCH_WORK
bench_build many "$ROOT"

bench_client_dir many

serve_addr=127.0.0.1:$(bench_freeport)
dist_addr=127.0.0.1:$(bench_freeport)
bench_distribution_config "$WORK/dist-root" "$dist_addr" >"$WORK/dist.yml"
declare -A pid
# fresh REGISTRY: (re)starts it on its address with empty storage, so that the new blobs of
# every run (2.4 GiB a push of the big set) do not pile up on the disk
fresh() {
  local a=$dist_addr cmd=(registry serve "$WORK/dist.yml")
  [ "$1" = serve ] && { a=$serve_addr; cmd=("$EOPACK" serve --addr "$serve_addr" --root "$WORK/serve-root"); }
  if [ -n "${pid[$1]:-}" ]; then kill "${pid[$1]}"; wait "${pid[$1]}" 2>/dev/null || true; fi
  rm -rf "$WORK/$1-root"
  bench_bg "$WORK/$1.log" "${cmd[@]}"
  pid[$1]=$BENCH_PID
  bench_waitready "$a"
}
fresh serve; fresh dist

# addr[REGISTRY-RTT]: where the tools reach a registry over a network of that round trip
declare -A addr
for rtt in $RTTS; do
  for r in dist serve; do
    a=$dist_addr; [ $r = serve ] && a=$serve_addr
    if [ "$rtt" != 0 ]; then
      p=127.0.0.1:$(bench_freeport)
      bench_bg "$WORK/netdelay-$r-$rtt.log" "$WORK/netdelay" -listen "$p" -target "$a" -rtt "${rtt}ms"
      a=$p
    fi
    addr[$r-$rtt]=$a
  done
done
for a in "${addr[@]}"; do bench_waitready "$a"; done

# gen SET N KIB: N random files of KIB KiB under $CDIR/SET/d/ (one read of /dev/urandom)
gen() {
  local set=$1 n=$2 kib=$3
  echo "bench/many: writing $n × $kib KiB files ($set)…"
  mkdir -p "$CDIR/$set/d"
  head -c $((n * kib * 1024)) /dev/urandom | (cd "$CDIR/$set/d" && split -a 5 -d -b "${kib}K" - f)
}
for s in $SETS; do
  case $s in
  small) gen small "$SMALL_N" 64 ;;
  big) gen big "$BIG_N" 1024 ;;
  esac
done

renew() { bench_renew "$CDIR/$1/d" "$2"; } # renew SET: every file of SET made new

# measure OUT CMD… : "<seconds> <peak RSS KiB>" appended to $WORK/OUT.txt
measure() { local out=$1; shift; bench_time_rss "$WORK/$out.txt" "$@"; }

# the bytes' own limit of a set: hashing every file (openssl, which uses the SHA instructions
# as Go does; sha256sum where there is no openssl) plus sending every file over loopback
# (sendfile into a socket whose reader discards into one buffer), and the registries' disk:
# the files written to it with dd and one fsync. Prints "<hash> <copy> <disk>" in seconds.
limit() {
  local set=$1 t0 t1 h c d hash=(sha256sum)
  command -v openssl >/dev/null && hash=(openssl dgst -sha256)
  cat "$CDIR/$set"/d/* >/dev/null # page-cached, as the tools find them
  sync; t0=$(bench_now); (cd "$CDIR/$set" && "${hash[@]}" d/* >/dev/null); t1=$(bench_now)
  h=$(echo "$t1 - $t0" | awk '{print $1 - $3}')
  c=$(cd "$CDIR/$set" && python3 - d <<'EOF'
import os, socket, sys, threading, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
def sink():
    c, _ = srv.accept()
    buf = bytearray(1 << 20)
    while c.recv_into(buf):
        pass
t = threading.Thread(target=sink); t.start()
names = sorted(os.listdir(sys.argv[1]))
t0 = time.time()
s = socket.create_connection(srv.getsockname())
for n in names:
    with open(os.path.join(sys.argv[1], n), "rb") as f:
        s.sendfile(f)
s.close(); t.join()
print("%.3f" % (time.time() - t0))
EOF
)
  sync; t0=$(bench_now); cat "$CDIR/$set"/d/* | dd of="$WORK/dd.out" bs=1M conv=fsync status=none; t1=$(bench_now)
  rm -f "$WORK/dd.out"
  d=$(echo "$t1 - $t0" | awk '{print $1 - $3}')
  echo "$h $c $d"
}

for s in $SETS; do
  limit "$s" >"$WORK/limit-$s.txt"
  for rtt in $RTTS; do
    for i in $(seq "$RUNS"); do
      for r in dist serve; do
        echo "bench/many: $s, round trip $rtt ms, run $i/$RUNS on $r"
        cd "$CDIR/$s"
        for tool in eopack oras; do
          renew "$s" "$i $r $rtt $tool" # every file new to both registries: a new product
          ref=${addr[$r-$rtt]}/many/$s-$rtt-$tool-$i
          if [ $tool = eopack ]; then push=("$EOPACK" push); pull=("$EOPACK" pull)
          else push=(oras push --plain-http --no-tty); pull=(oras pull --plain-http --no-tty); fi
          m=$r-$s-$rtt-$tool
          export BENCH_SERVER_PID=${pid[$r]}
          measure "$m-push"   "${push[@]}" "$ref:v1" d/*
          measure "$m-stored" "${push[@]}" "$ref-again:v1" d/*
          measure "$m-repush" "${push[@]}" "$ref:v1" d/*
          bench_pull "$m-pull" "$CDIR/$s" "${pull[@]}" "$ref:v1"
        done
        cd "$WORK"
        fresh "$r"
      done
    done
  done
done

# verdict RATIO MAX OF : "≤ MAX× OF ✓" when RATIO ≤ MAX, else the same with ✗
verdict() { awk -v r="$1" -v m="$2" -v of="$3" 'BEGIN { printf "≤ %s× %s %s", m, of, (r <= m ? "✓" : "✗") }'; }
status=0
echo
cores=$(nproc)
echo "| registry | set | rtt ms | op | eopack s | oras s | eopack/oras | limit s | eopack/limit | target | eopack RSS MiB | oras RSS MiB | CPU s eopack / oras | registry CPU s in eopack's / oras's | floor s (/oras, /limit) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for r in dist serve; do
  for s in $SETS; do
    read -r h c d <"$WORK/limit-$s.txt"
    for rtt in $RTTS; do
      for op in push stored repush pull; do
        m=$r-$s-$rtt
        # a pull's limit is hashing plus copying; a push must also reach the registry's disk
        l=$(awk -v h="$h" -v c="$c" -v d="$d" -v op="$op" 'BEGIN { l = h + c; if (op != "pull" && d > l) l = d; printf "%.2f", l }')
        e=$(bench_med "$m-eopack-$op"); o=$(bench_med "$m-oras-$op")
        eo=$(bench_ratio "$e" "$o"); el=$(bench_ratio "$e" "$l")
        er=$(bench_peak "$m-eopack-$op"); orr=$(bench_peak "$m-oras-$op")
        lim=$l; { [ "$s" = small ] || [ "$rtt" != 0 ]; } && { lim=–; el=–; }
        # target: small push and pull against ORAS; big ones against the loopback limit
        tgt=–
        if [ "$op" = push ] || [ "$op" = pull ]; then
          if [ "$s" = small ]; then tgt=$(verdict "$eo" 0.33 "ORAS")
          elif [ "$rtt" = 0 ]; then tgt=$(verdict "$el" 1.1 "limit"); fi
        fi
        [[ $tgt == *✗* ]] && status=1
        (( er > 64 )) && { status=1; er="$er ✗"; }
        ec=$(bench_med_col "$m-eopack-$op" 3); oc=$(bench_med_col "$m-oras-$op" 3)
        esv=$(bench_med_col "$m-eopack-$op" 4); osv=$(bench_med_col "$m-oras-$op" 4)
        fs=$(bench_ratio "$esv" "$cores"); fl="$fs ($(bench_ratio "$fs" "$o")"
        [ "$lim" = – ] && fl="$fl)" || fl="$fl, $(bench_ratio "$fs" "$l"))"
        echo "| $r | $s | $rtt | $op | $e | $o | $eo | $lim | $el | $tgt | $er | $orr | $ec / $oc | $esv / $osv | $fl |"
      done
    done
  done
done
echo
for s in $SETS; do
  read -r h c d <"$WORK/limit-$s.txt"
  awk -v s="$s" -v h="$h" -v c="$c" -v d="$d" 'BEGIN { l = h + c; printf "limit of %s: sha256 %.2f s + loopback copy %.2f s = %.2f s (pull); the registries\047 disk (dd, fsync) %.2f s; push: the larger, %.2f s\n", s, h, c, l, d, (d > l ? d : l) }'
done
echo "cores: $cores (floor = the registry's CPU in eopack's run / cores)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if (( status == 0 )); then echo "targets met"; else echo "targets NOT met"; fi
exit $status
