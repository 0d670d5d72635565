#!/usr/bin/env bash
# Benchmarks `eopack serve` against the pinned CNCF distribution registry, in one run:
#  - the pinned ORAS CLI pushes and pulls a 1 GiB random blob (median of RUNS runs each);
#    ratio serve/distribution of the medians (target <= 0.8 for push and pull);
#  - each server's peak RSS over the large transfers (VmHWM from /proc/PID/status);
#  - small artifacts: 1,000 pushes of a 1 KiB artifact (blob + manifest) and 1,000 manifest
#    GETs per registry over one keep-alive connection, as artifacts per second;
#  - the data path with curl as the client (no client hashing), median of CURL_RUNS each:
#    the machine's limit for the blob (sha256sum of it, page-cached; dd of it to the servers'
#    disk with fsync), a monolithic PUT, a chunked upload (CHUNK_MIB chunks), a full blob GET,
#    and CONC parallel GETs of CONC different CONC_MIB blobs (aggregate MiB/s, each server's
#    RSS during them).
# With SERVE_BEFORE=<an eopack binary> (e.g. built from main), a third server runs it, and the
# curl uploads alternate between the three, so a change to the ingest path is measured
# against the binary before it in the same run.
# Env: SIZE_MIB (default 1024), RUNS (5), SMALL (1000), CURL_RUNS (3), CHUNK_MIB (64),
# CONC (16), CONC_MIB (256), SERVE_BEFORE, EOPACK_PEERS. Temp data is removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
peers=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}
export PATH="$peers/bin:$PATH"
SIZE_MIB=${SIZE_MIB:-1024} RUNS=${RUNS:-5} SMALL=${SMALL:-1000}
CURL_RUNS=${CURL_RUNS:-3} CHUNK_MIB=${CHUNK_MIB:-64} CONC=${CONC:-16} CONC_MIB=${CONC_MIB:-256}
. "$here/lib.sh"
bench_need serve oras registry python3 curl bc sha256sum dd split
bench_init serve
work=$BENCH_WORK
cdir=
trap 'bench_cleanup; [ -z "$cdir" ] || [ "$cdir" = "$work/client" ] || rm -rf "$cdir"' EXIT
hwm() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

(cd "$repo" && go build -o "$work/eopack" ./cmd/eopack)
echo "bench/serve: writing ${SIZE_MIB} MiB random blob"
mkdir -p "$work/client"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$work/big.bin"

# eopack serve
serve_addr=127.0.0.1:$(bench_freeport)
bench_bg "$work/serve.log" "$work/eopack" serve --addr "$serve_addr" --root "$work/serve-root"
serve_pid=$BENCH_PID
# distribution, configured as testpeer.StartDistribution does
dist_addr=127.0.0.1:$(bench_freeport)
bench_distribution_config "$work/dist-root" "$dist_addr" >"$work/dist.yml"
bench_bg "$work/dist.log" registry serve "$work/dist.yml"
dist_pid=$BENCH_PID
bench_waitready "$serve_addr"; bench_waitready "$dist_addr"
uploaders=(serve dist)
if [ -n "${SERVE_BEFORE:-}" ]; then
  before_addr=127.0.0.1:$(bench_freeport)
  bench_bg "$work/before.log" "$SERVE_BEFORE" serve --addr "$before_addr" --root "$work/before-root"
  bench_waitready "$before_addr"
  uploaders+=(before)
fi

# big: runs alternate between the two registries so load from elsewhere on the machine hits
# both alike. Each push goes to a fresh repository (nothing skipped as already present); each
# pull goes to a fresh folder. Client-side files live on tmpfs when there is one, so the
# client's own disk writeback does not blur the servers' numbers; the servers store on disk.
cdir=$work/client
if [ -d /dev/shm ] && [ -w /dev/shm ]; then cdir=$(mktemp -d /dev/shm/eopack-bench-serve.XXXXXX); fi
# The disk copy stays for the limit measurements of the curl part.
ln "$work/big.bin" "$cdir/big.bin" 2>/dev/null || cp "$work/big.bin" "$cdir/big.bin"
timed() { # file cmd...: append the elapsed seconds of cmd to file
  local out=$1 t0 t1; shift
  sync; t0=$(bench_now); "$@" >/dev/null; t1=$(bench_now)
  echo "$t1 - $t0" | bc >>"$out"
}
: >"$work/serve.push"; : >"$work/dist.push"; : >"$work/serve.pull"; : >"$work/dist.pull"
sc0=$(bench_cpu "$serve_pid"); dc0=$(bench_cpu "$dist_pid")
for i in $(seq "$RUNS"); do
  for r in serve dist; do
    addr=$serve_addr; [ $r = dist ] && addr=$dist_addr
    (cd "$cdir" && timed "$work/$r.push" oras push --plain-http --no-tty "$addr/bench/big$i:v1" big.bin:application/octet-stream)
  done
done
sc1=$(bench_cpu "$serve_pid"); dc1=$(bench_cpu "$dist_pid")
for i in $(seq "$RUNS"); do
  for r in serve dist; do
    addr=$serve_addr; [ $r = dist ] && addr=$dist_addr
    rm -rf "$cdir/out"
    timed "$work/$r.pull" oras pull --plain-http --no-tty -o "$cdir/out" "$addr/bench/big1:v1"
    cmp -s "$cdir/out/big.bin" "$cdir/big.bin" || { echo "bench/serve: $r pulled different bytes" >&2; exit 1; }
  done
done
sc2=$(bench_cpu "$serve_pid"); dc2=$(bench_cpu "$dist_pid")
serve_rss=$(hwm "$serve_pid"); dist_rss=$(hwm "$dist_pid")
rm -rf "$cdir/out"

# small: one Python process, one keep-alive connection per registry; POST+PUT upload (the
# portable sequence both registries accept), then a manifest PUT by tag; then GET each tag.
small() { # addr
  python3 - "$1" "$SMALL" <<'PY'
import hashlib, http.client, json, os, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
c = http.client.HTTPConnection(addr)
def req(method, path, body=None, headers={}):
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse(); data = r.read()
    if r.status >= 300: sys.exit(f"{method} {path}: {r.status} {data[:200]!r}")
    return r
def put_blob(repo, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", f"/v2/{repo}/blobs/uploads/").getheader("Location")
    loc += ("&" if "?" in loc else "?") + "digest=" + d
    if loc.startswith("http"): loc = "/" + loc.split("/", 3)[3]
    req("PUT", loc, data, {"Content-Type": "application/octet-stream"})
    return {"mediaType": "application/octet-stream", "digest": d, "size": len(data)}
repo = "bench/small"
cfg = put_blob(repo, b"{}"); cfg["mediaType"] = "application/vnd.oci.empty.v1+json"
t0 = time.time()
for i in range(n):
    layer = put_blob(repo, os.urandom(1024))
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "artifactType": "application/vnd.eopack.bench", "config": cfg, "layers": [layer]}).encode()
    req("PUT", f"/v2/{repo}/manifests/a{i}", m, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
t1 = time.time()
for i in range(n):
    req("GET", f"/v2/{repo}/manifests/a{i}", None, {"Accept": "application/vnd.oci.image.manifest.v1+json"})
t2 = time.time()
print(f"{n/(t1-t0):.0f} {n/(t2-t1):.0f}")
PY
}
read -r serve_spush serve_sget < <(small "$serve_addr")
read -r dist_spush dist_sget < <(small "$dist_addr")

# curl data path: curl moves the bytes (no client hashing), so these figures are the servers'
# ingest and serving paths next to what the machine allows. Runs alternate between the
# registries; each upload stores a blob new to its registry (the file's first 16 bytes are a
# counter, changed and hashed before the upload, untimed), as new data is ingested. Uploading
# a blob the registry holds measures something else: both servers then read, hash and
# discard the bytes or replace the stored file, and freeing 1 GiB of the file system costs
# about 0.3 s here, which the limit does not include.
size=$((SIZE_MIB << 20))
# creq ADDR STATUS URL CURL-ARGS… : one curl request to URL (a path on ADDR, or absolute);
# exits unless it answers STATUS. The body goes to $c_out (default a small scratch file; set
# it to /dev/null for blob GETs). Sets c_up and c_down (bytes), c_time (curl's seconds) and
# c_loc (the absolute Location, or empty).
creq() {
  local addr=$1 want=$2 url=$3 out code; shift 3
  case $url in http*) ;; *) url=http://$addr$url ;; esac
  out=$(curl -sS -o "${c_out:-$work/resp}" -H 'Expect:' \
    -w '%{http_code} %{size_upload} %{size_download} %{time_total} %header{location}' "$@" "$url") ||
    { echo "bench/serve: curl $* $url failed" >&2; exit 1; }
  read -r code c_up c_down c_time c_loc <<<"$out"
  [ "$code" = "$want" ] || { echo "bench/serve: $* $url answered $code, want $want:" >&2; head -c 300 "${c_out:-$work/resp}" >&2; exit 1; }
  case $c_loc in '' | http*) ;; *) c_loc=http://$addr$c_loc ;; esac
}
with_digest() { case $1 in *\?*) echo "$1&digest=$2" ;; *) echo "$1?digest=$2" ;; esac; }
# put_mono ADDR REPO FILE DIGEST : POST an upload, then PUT the whole file with ?digest=
# (curl -T streams it); c_time is the PUT's time.
put_mono() {
  creq "$1" 202 "/v2/$2/blobs/uploads/" -X POST
  creq "$1" 201 "$(with_digest "$c_loc" "$4")" -T "$3" -H 'Content-Type: application/octet-stream'
  [ "$c_up" = "$(stat -c %s "$3")" ] || { echo "bench/serve: PUT sent $c_up bytes of $3" >&2; exit 1; }
}
addr_of() { case $1 in serve) echo "$serve_addr" ;; before) echo "$before_addr" ;; *) echo "$dist_addr" ;; esac; }

# The limit: hashing the blob (page-cached, as the servers hash it from the socket) and
# writing it to the servers' disk with fsync; a server does both, overlapped at best.
cat "$work/big.bin" >/dev/null
: >"$work/lim.sha"; : >"$work/lim.dd"
# The fastest sha256 at hand: coreutils' sha256sum uses no SHA instructions; openssl does,
# as Go's crypto/sha256 in the servers does.
shacmd=(sha256sum)
command -v openssl >/dev/null && shacmd=(openssl dgst -sha256 -r) # -r: "<hex> *<file>", as sha256sum
for _ in $(seq "$CURL_RUNS"); do
  sync; t0=$(bench_now); "${shacmd[@]}" "$work/big.bin" >/dev/null; t1=$(bench_now)
  echo "$t1 - $t0" | bc >>"$work/lim.sha"
done
# dd + fsync runs inside the upload loop below, just before each pair of uploads: a virtual
# disk can take a first GiB into a host cache far faster than it sustains GiB after GiB
# (measured here: 1.0 s, then 4.0 s for each next one), so the limit must be measured in the
# same state the uploads meet.
dd_limit() {
  sync; local t0 t1; t0=$(bench_now); dd if="$work/big.bin" of="$work/dd.out" bs=1M conv=fsync status=none; t1=$(bench_now)
  echo "$t1 - $t0" | bc >>"$work/lim.dd"
  rm -f "$work/dd.out"
}

# Monolithic PUT (only the PUT is timed) and chunked upload (POST, one PATCH per chunk with
# Content-Range, PUT ?digest= without a body; timed from POST to the final answer, curl's
# process start per request included; the sum of curl's own request times is kept too),
# then full GETs of the monolithic blob.
mkdir -p "$cdir/chunks"
(cd "$cdir/chunks" && split -b "${CHUNK_MIB}M" -d -a 5 "$cdir/big.bin" c.)
chunks=() ranges=() off=0
for f in "$cdir/chunks"/c.*; do
  n=$(stat -c %s "$f"); chunks+=("$f"); ranges+=("$off-$((off + n - 1))"); off=$((off + n))
done
for r in "${uploaders[@]}"; do : >"$work/$r.mono"; : >"$work/$r.chunk"; : >"$work/$r.chunkreq"; : >"$work/$r.get"; done
# fresh: make the client's file (and its first chunk) a blob no registry holds yet; sets
# cur_digest.
nfresh=0
fresh() {
  nfresh=$((nfresh + 1))
  local f; for f in "$cdir/big.bin" "${chunks[0]}"; do
    printf '%016d' "$nfresh" | dd of="$f" bs=16 count=1 conv=notrunc status=none
  done
  cur_digest=sha256:$("${shacmd[@]}" "$cdir/big.bin" | cut -d' ' -f1)
}
declare -A get_digest
# drop R DIGEST: remove the blob's file from registry R's root (untimed), so that disk use
# stays flat however many fresh blobs the runs store; the repository that names it is never
# read again.
drop() {
  local hex=${2#sha256:} f
  case $1 in
    dist) f=$work/dist-root/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data ;;
    *) f=$work/$1-root/_blobs/sha256/${hex:0:2}/$hex ;;
  esac
  [ -f "$f" ] || { echo "bench/serve: $1 stores $2 elsewhere than $f" >&2; exit 1; }
  rm -f "$f"
}
for i in $(seq "$CURL_RUNS"); do
  dd_limit
  for r in "${uploaders[@]}"; do
    addr=$(addr_of $r)
    fresh
    sync; put_mono "$addr" "bench/mono$i" "$cdir/big.bin" "$cur_digest"
    echo "$c_time" >>"$work/$r.mono"
    if [ -z "${get_digest[$r]:-}" ]; then get_digest[$r]=$cur_digest; else drop "$r" "$cur_digest"; fi
    fresh
    sync; t0=$(bench_now)
    creq "$addr" 202 "/v2/bench/chunk$i/blobs/uploads/" -X POST
    reqs=$c_time
    for k in "${!chunks[@]}"; do
      creq "$addr" 202 "$c_loc" -X PATCH -T "${chunks[k]}" -H 'Content-Type: application/octet-stream' \
        -H "Content-Range: ${ranges[k]}"
      reqs+=" $c_time"
    done
    creq "$addr" 201 "$(with_digest "$c_loc" "$cur_digest")" -X PUT -H 'Content-Length: 0'
    t1=$(bench_now)
    echo "$t1 - $t0" | bc >>"$work/$r.chunk"
    drop "$r" "$cur_digest"
    echo "$reqs $c_time" | awk '{for (i = 1; i <= NF; i++) s += $i; print s}' >>"$work/$r.chunkreq"
  done
done
rm -rf "$cdir/chunks"
for i in $(seq "$CURL_RUNS"); do
  for r in serve dist; do
    c_out=/dev/null creq "$(addr_of $r)" 200 "/v2/bench/mono1/blobs/${get_digest[$r]}"
    [ "$c_down" = "$size" ] || { echo "bench/serve: $r GET returned $c_down bytes, want $size" >&2; exit 1; }
    echo "$c_time" >>"$work/$r.get"
  done
done

# each server's peak RSS so far: the large transfers (ORAS, curl) and the small artifacts
serve_hwm_1g=$(hwm "$serve_pid"); dist_hwm_1g=$(hwm "$dist_pid")

# Concurrent readers: CONC different blobs on each registry, then CONC parallel GETs of them
# per run; aggregate MiB/s = all bytes / wall time. Each server's RSS is sampled every 100 ms
# over the whole phase.
conc_digests=()
for k in $(seq "$CONC"); do
  head -c "$((CONC_MIB << 20))" /dev/urandom >"$cdir/conc.bin"
  d=sha256:$(sha256sum "$cdir/conc.bin" | cut -d' ' -f1)
  conc_digests+=("$d")
  for r in serve dist; do put_mono "$(addr_of $r)" bench/conc "$cdir/conc.bin" "$d"; done
done
rm -f "$cdir/conc.bin"
for r in serve dist; do : >"$work/$r.conc"; done
bench_rss_watch "$work/rss" "$serve_pid" "$dist_pid" &
watch_pid=$!
for _ in $(seq "$CURL_RUNS"); do
  for r in serve dist; do
    addr=$(addr_of $r); pids=()
    sync; t0=$(bench_now)
    for k in "${!conc_digests[@]}"; do
      curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' \
        "http://$addr/v2/bench/conc/blobs/${conc_digests[k]}" >"$work/conc.$k" &
      pids+=($!)
    done
    wait "${pids[@]}"
    t1=$(bench_now)
    for k in "${!conc_digests[@]}"; do
      [ "$(cat "$work/conc.$k")" = "200 $((CONC_MIB << 20))" ] ||
        { echo "bench/serve: $r concurrent GET $k: $(cat "$work/conc.$k")" >&2; exit 1; }
    done
    echo "scale=2; $CONC * $CONC_MIB / ($t1 - $t0)" | bc >>"$work/$r.conc"
  done
done
touch "$work/rss.stop"; wait "$watch_pid"
read -r serve_conc_rss dist_conc_rss <"$work/rss"
serve_hwm_end=$(hwm "$serve_pid"); dist_hwm_end=$(hwm "$dist_pid")

sp=$(bench_median <"$work/serve.push"); sl=$(bench_median <"$work/serve.pull")
dp=$(bench_median <"$work/dist.push"); dl=$(bench_median <"$work/dist.pull")
ratio() { # a b: a/b to two decimals; n/a when b is zero
  if [ "$(echo "$2 == 0" | bc)" = 1 ]; then echo n/a; else printf "%.2f" "$(echo "scale=4; $1 / $2" | bc)"; fi; }
printf 'bench/serve: %d MiB blob, ORAS CLI, median of %d runs (seconds)\n' "$SIZE_MIB" "$RUNS"
printf '  %-13s push %6.2f s  pull %6.2f s  peak RSS %4d MiB\n' "eopack serve" "$sp" "$sl" "$serve_rss"
printf '  %-13s push %6.2f s  pull %6.2f s  peak RSS %4d MiB\n' "distribution" "$dp" "$dl" "$dist_rss"
printf '  ratio serve/distribution: push %s  pull %s  (target <= 0.8)\n' "$(ratio "$sp" "$dp")" "$(ratio "$sl" "$dl")"
# Server CPU per GiB moved: what each registry itself spends, apart from the client's time.
per_gib() { printf "%.2f" "$(echo "scale=4; ($2 - $1) * 1024 / ($SIZE_MIB * $RUNS)" | bc)"; }
printf '  server CPU s/GiB:  eopack serve push %s pull %s   distribution push %s pull %s\n' \
  "$(per_gib "$sc0" "$sc1")" "$(per_gib "$sc1" "$sc2")" "$(per_gib "$dc0" "$dc1")" "$(per_gib "$dc1" "$dc2")"
printf 'bench/serve: %d small artifacts (1 KiB layer + manifest), artifacts/s\n' "$SMALL"
printf '  %-13s push %6s/s  manifest GET %6s/s\n' "eopack serve" "$serve_spush" "$serve_sget"
printf '  %-13s push %6s/s  manifest GET %6s/s\n' "distribution" "$dist_spush" "$dist_sget"
lsha=$(bench_median3 <"$work/lim.sha"); ldd=$(bench_median3 <"$work/lim.dd")
lim=$(echo "if ($lsha > $ldd) $lsha else $ldd" | bc)
lim=$(printf '%.3f' "$lim")
sm=$(bench_median3 <"$work/serve.mono"); dm=$(bench_median3 <"$work/dist.mono")
sc=$(bench_median3 <"$work/serve.chunk"); dc=$(bench_median3 <"$work/dist.chunk")
scr=$(bench_median3 <"$work/serve.chunkreq"); dcr=$(bench_median3 <"$work/dist.chunkreq")
sg=$(bench_median3 <"$work/serve.get"); dg=$(bench_median3 <"$work/dist.get")
st=$(bench_median <"$work/serve.conc"); dt=$(bench_median <"$work/dist.conc")
printf 'bench/serve: curl data path, %d MiB blob, median of %d runs (seconds; curl does not hash)\n' "$SIZE_MIB" "$CURL_RUNS"
printf '  limit on the servers'"'"' disk: sha256 (%s) %s s, dd + fsync %s s -> limit %s s\n' "${shacmd[0]}" "$lsha" "$ldd" "$lim"
printf '  %-31s %12s %12s %11s %11s %10s\n' "" "eopack serve" distribution serve/limit dist/limit serve/dist
printf '  %-31s %10s s %10s s %11s %11s %10s  (target serve/limit <= 1.15)\n' "monolithic PUT" "$sm" "$dm" "$(ratio "$sm" "$lim")" "$(ratio "$dm" "$lim")" "$(ratio "$sm" "$dm")"
printf '  %-31s %10s s %10s s %11s %11s %10s\n' "chunked upload ($CHUNK_MIB MiB chunks)" "$sc" "$dc" "$(ratio "$sc" "$lim")" "$(ratio "$dc" "$lim")" "$(ratio "$sc" "$dc")"
printf '  %-31s %10s s %10s s %11s %11s %10s  (%d requests; curl process starts excluded)\n' "  of it in curl's requests" "$scr" "$dcr" "$(ratio "$scr" "$lim")" "$(ratio "$dcr" "$lim")" "$(ratio "$scr" "$dcr")" "$((${#chunks[@]} + 2))"
if [ -n "${SERVE_BEFORE:-}" ]; then
  bm=$(bench_median3 <"$work/before.mono"); bc_=$(bench_median3 <"$work/before.chunk"); bcr=$(bench_median3 <"$work/before.chunkreq")
  printf '  SERVE_BEFORE (%s), same runs:  monolithic PUT %s s (%s of the limit; serve/before %s), chunked %s s (%s; %s), of it in requests %s s (%s; %s)\n' \
    "$SERVE_BEFORE" "$bm" "$(ratio "$bm" "$lim")" "$(ratio "$sm" "$bm")" "$bc_" "$(ratio "$bc_" "$lim")" "$(ratio "$sc" "$bc_")" "$bcr" "$(ratio "$bcr" "$lim")" "$(ratio "$scr" "$bcr")"
fi
printf '  %-31s %10s s %10s s %11s %11s %10s  (target serve/dist <= 1.0)\n' "blob GET" "$sg" "$dg" - - "$(ratio "$sg" "$dg")"
printf '  %-31s %7s MiB/s %7s MiB/s %11s %11s %10s  (target serve/dist >= 1.0)\n' "$CONC GETs x $CONC_MIB MiB, parallel" "$st" "$dt" - - "$(ratio "$st" "$dt")"
printf '  RSS: VmHWM through the %d MiB transfers and small artifacts: serve %d MiB, distribution %d MiB; max VmRSS during the parallel GETs: serve %d MiB, distribution %d MiB; VmHWM at the end: serve %d MiB, distribution %d MiB\n' \
  "$SIZE_MIB" "$serve_hwm_1g" "$dist_hwm_1g" "$serve_conc_rss" "$dist_conc_rss" "$serve_hwm_end" "$dist_hwm_end"
# every run's figures, in run order, for a reader who doubts a median
raw() { tr '\n' ' ' <"$work/$1"; }
printf '  runs (s): sha256 %s| dd + fsync %s\n' "$(raw lim.sha)" "$(raw lim.dd)"
for r in "${uploaders[@]}"; do
  printf '  runs (s): %s monolithic %s| chunked %s\n' "$r" "$(raw $r.mono)" "$(raw $r.chunk)"
done
