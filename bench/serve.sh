#!/usr/bin/env bash
# Benchmarks `eopack serve` against the pinned CNCF distribution registry, in one run:
#  - the pinned ORAS CLI pushes and pulls a 1 GiB random blob (median of RUNS runs each);
#    ratio serve/distribution of the medians (target <= 0.8 for push and pull);
#  - each server's peak RSS over the large transfers (VmHWM from /proc/PID/status);
#  - small artifacts: 1,000 pushes of a 1 KiB artifact (blob + manifest) and 1,000 manifest
#    GETs per registry over one keep-alive connection, as artifacts per second.
# Env: SIZE_MIB (default 1024), RUNS (5), SMALL (1000), EOPACK_PEERS. Temp data is removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
peers=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}
export PATH="$peers/bin:$PATH"
SIZE_MIB=${SIZE_MIB:-1024} RUNS=${RUNS:-5} SMALL=${SMALL:-1000}
. "$here/lib.sh"
bench_need serve oras registry python3 curl bc
bench_init serve
work=$BENCH_WORK
cdir=
trap 'bench_cleanup; [ -z "$cdir" ] || [ "$cdir" = "$work/client" ] || rm -rf "$cdir"' EXIT
# cpu PID: the process's user+system CPU seconds so far (/proc/PID/stat fields 14 and 15).
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
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

# big: runs alternate between the two registries so load from elsewhere on the machine hits
# both alike. Each push goes to a fresh repository (nothing skipped as already present); each
# pull goes to a fresh folder. Client-side files live on tmpfs when there is one, so the
# client's own disk writeback does not blur the servers' numbers; the servers store on disk.
cdir=$work/client
if [ -d /dev/shm ] && [ -w /dev/shm ]; then cdir=$(mktemp -d /dev/shm/eopack-bench-serve.XXXXXX); fi
mv "$work/big.bin" "$cdir/big.bin"
timed() { # file cmd...: append the elapsed seconds of cmd to file
  local out=$1 t0 t1; shift
  sync; t0=$(bench_now); "$@" >/dev/null; t1=$(bench_now)
  echo "$t1 - $t0" | bc >>"$out"
}
: >"$work/serve.push"; : >"$work/dist.push"; : >"$work/serve.pull"; : >"$work/dist.pull"
sc0=$(cpu "$serve_pid"); dc0=$(cpu "$dist_pid")
for i in $(seq "$RUNS"); do
  for r in serve dist; do
    addr=$serve_addr; [ $r = dist ] && addr=$dist_addr
    (cd "$cdir" && timed "$work/$r.push" oras push --plain-http --no-tty "$addr/bench/big$i:v1" big.bin:application/octet-stream)
  done
done
sc1=$(cpu "$serve_pid"); dc1=$(cpu "$dist_pid")
for i in $(seq "$RUNS"); do
  for r in serve dist; do
    addr=$serve_addr; [ $r = dist ] && addr=$dist_addr
    rm -rf "$cdir/out"
    timed "$work/$r.pull" oras pull --plain-http --no-tty -o "$cdir/out" "$addr/bench/big1:v1"
    cmp -s "$cdir/out/big.bin" "$cdir/big.bin" || { echo "bench/serve: $r pulled different bytes" >&2; exit 1; }
  done
done
sc2=$(cpu "$serve_pid"); dc2=$(cpu "$dist_pid")
serve_rss=$(hwm "$serve_pid"); dist_rss=$(hwm "$dist_pid")
rm -rf "$cdir/out" "$cdir/big.bin"; [ "$cdir" = "$work/client" ] || rmdir "$cdir"

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

sp=$(bench_median <"$work/serve.push"); sl=$(bench_median <"$work/serve.pull")
dp=$(bench_median <"$work/dist.push"); dl=$(bench_median <"$work/dist.pull")
ratio() { printf "%.2f" "$(echo "scale=4; $1 / $2" | bc)"; }
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
