#!/usr/bin/env bash
# Scale benchmark: `eopack serve` and the pinned distribution registry filled with many
# manifests, referrers and repositories, in one run (the load generator is bench/scale):
#  - SCALE_N artifacts (own layer + manifest PUT to its own tag) pushed into one repository by
#    4 clients; manifest PUT p50/p95 over the 500 PUTs ending at 1 %, 10 %, 50 % and 100 % of N;
#  - tags/list?n=1000: first page and the page after the middle tag, medians of 20;
#  - one subject with SCALE_REFERRERS referrers: GET referrers, median of 10;
#  - SCALE_REPOS repositories: _catalog?n=1000 and the whole list, medians of 10;
#  - each server's peak RSS (VmHWM) and each phase's wall and server CPU time.
# Prints a markdown table with the goals next to serve's numbers. Not part of `make test`.
# SCALE_SHARED=1 adds, first (held to the goals), a serve on PostgreSQL + S3 (versitygw), the
# storage of a replicated deployment; its RSS is serve's own, not the database's or S3's.
# Env: SCALE_N (default 100000), SCALE_REFERRERS and SCALE_REPOS (10000, at most SCALE_N),
# SCALE_CLIENTS (4), SCALE_RAW (a folder to keep raw PUT latencies in), EOPACK_PEERS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
peers=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}
export PATH="$peers/bin:$PATH"
SCALE_N=${SCALE_N:-100000}
SCALE_REFERRERS=${SCALE_REFERRERS:-$((SCALE_N < 10000 ? SCALE_N : 10000))}
SCALE_REPOS=${SCALE_REPOS:-$((SCALE_N < 10000 ? SCALE_N : 10000))}
SCALE_CLIENTS=${SCALE_CLIENTS:-4}
. "$here/lib.sh"
bench_need scale registry curl python3 bc
bench_init scale
work=$BENCH_WORK

(cd "$repo" && go build -o "$work/eopack" ./cmd/eopack && go build -o "$work/scale" ./bench/scale)

serve_addr=127.0.0.1:$(bench_freeport)
bench_bg "$work/serve.log" "$work/eopack" serve --addr "$serve_addr" --root "$work/serve-root"
serve_pid=$BENCH_PID
# distribution as the other benches configure it, minus the access log: serve logs no
# requests either, and a million log lines would only measure logging.
dist_addr=127.0.0.1:$(bench_freeport)
bench_distribution_config "$work/dist-root" "$dist_addr" |
  sed 's/^  level: warn$/  level: warn\n  accesslog:\n    disabled: true/' >"$work/dist.yml"
bench_bg "$work/dist.log" registry serve "$work/dist.yml"
dist_pid=$BENCH_PID
bench_waitready "$serve_addr"; bench_waitready "$dist_addr"
shared=()
if [ "${SCALE_SHARED:-0}" = 1 ]; then
  bench_shared_storage
  shared_addr=127.0.0.1:$(bench_freeport)
  bench_bg "$work/shared.log" "$work/eopack" serve --addr "$shared_addr" --db "$BENCH_DB" --blobs "$BENCH_BLOBS"
  bench_waitready "$shared_addr"
  shared=(-target "eopack serve (PostgreSQL + S3)=$shared_addr,$BENCH_PID")
fi

raw=()
[ -z "${SCALE_RAW:-}" ] || raw=(-raw "$SCALE_RAW")
echo "bench/scale: N=$SCALE_N referrers=$SCALE_REFERRERS repositories=$SCALE_REPOS clients=$SCALE_CLIENTS" >&2
t0=$(bench_now)
"$work/scale" -n "$SCALE_N" -referrers "$SCALE_REFERRERS" -repos "$SCALE_REPOS" \
  -clients "$SCALE_CLIENTS" "${raw[@]}" "${shared[@]}" \
  -target "eopack serve=$serve_addr,$serve_pid" \
  -target "distribution $(registry --version 2>/dev/null | sed -E 's/.* v([0-9.]+).*/\1/')=$dist_addr,$dist_pid" || {
  echo "bench/scale: failed; server logs:" >&2; tail -n 20 "$work"/*.log >&2; exit 1; }
printf '\nbench/scale: total %.0f s\n' "$(echo "$(bench_now) - $t0" | bc)"
