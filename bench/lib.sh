# bench/lib.sh — helpers shared by the benchmark scripts; source it, do not run it:
#   . "$(dirname "$0")/lib.sh"
# Every name starts with bench_. Needs bash, curl and python3 (or bash's /dev/tcp for ports).

# bench_need NAME CMD… : exit 2 naming the first command not on PATH.
bench_need() {
  local name=$1; shift
  for c in "$@"; do
    command -v "$c" >/dev/null || { echo "bench/$name: $c not found (run scripts/install-peers.sh)" >&2; exit 2; }
  done
}

# bench_init NAME : makes a scratch folder $BENCH_WORK, removed at exit together with every
# process started by bench_bg (call it in the script's own shell, not in $(…)). DOCKER_CONFIG
# points inside it, so no stored credentials are read or written.
BENCH_WORK=
BENCH_PIDS=()
bench_init() {
  BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/eopack-bench-$1.XXXXXX")
  export DOCKER_CONFIG=$BENCH_WORK/docker-config
  trap bench_cleanup EXIT
}
bench_cleanup() {
  local p
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ -n "$BENCH_WORK" ] && rm -rf "$BENCH_WORK"
}

# bench_bg LOG CMD… : runs CMD in the background (output to LOG), stopped at exit; its pid
# is in $BENCH_PID.
BENCH_PID=
bench_bg() {
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  BENCH_PID=$!
  BENCH_PIDS+=("$BENCH_PID")
}

# bench_freeport : a free loopback TCP port (the kernel's pick).
bench_freeport() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# bench_waitready ADDR : waits (10 s at most) until a registry answers GET /v2/ at ADDR.
bench_waitready() {
  for _ in $(seq 200); do curl -s -o /dev/null "http://$1/v2/" && return 0; sleep 0.05; done
  echo "bench: $1 did not start" >&2
  exit 1
}

# bench_distribution_config ROOT ADDR : the pinned distribution registry's config, as
# testpeer.StartDistribution writes it (filesystem storage under ROOT, deletes enabled).
bench_distribution_config() {
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n' "$1" "$2"
}

# bench_now : seconds since the epoch, with nanoseconds.
bench_now() { date +%s.%N; }

# bench_median : the median of the numbers on stdin, one a line, to two decimals.
bench_median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

# bench_cpu PID : the process's user + system CPU seconds so far (/proc/PID/stat, fields 14
# and 15; the command name in field 2 has no spaces here).
bench_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

# bench_time_rss OUT CMD… : runs CMD (output to $BENCH_WORK/last.log, shown if it fails) and
# appends "<wall seconds> <peak RSS KiB> <CMD's CPU seconds> <server's CPU seconds>" to OUT,
# the server being the process BENCH_SERVER_PID names (its CPU during CMD; 0 when unset).
# Needs GNU time (/usr/bin/time).
bench_time_rss() {
  local out=$1 s0=0 s1=0; shift
  sync # flush the previous run's writes so they do not slow this one
  [ -z "${BENCH_SERVER_PID:-}" ] || s0=$(bench_cpu "$BENCH_SERVER_PID")
  /usr/bin/time -f "%e %M %U %S" -o "$BENCH_WORK/time" "$@" >"$BENCH_WORK/last.log" 2>&1 || {
    echo "FAILED: $*" >&2; cat "$BENCH_WORK/last.log" >&2; exit 1; }
  [ -z "${BENCH_SERVER_PID:-}" ] || s1=$(bench_cpu "$BENCH_SERVER_PID")
  awk -v s0="$s0" -v s1="$s1" '{printf "%s %s %.2f %.2f\n", $1, $2, $3 + $4, s1 - s0}' "$BENCH_WORK/time" >>"$out"
}

# bench_median3 : bench_median to three decimals (for timings well under a second).
bench_median3() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

# bench_rss_watch OUT PID… : every 100 ms, until the file OUT.stop exists (one hour at most),
# samples each PID's VmRSS; then writes their maxima in MiB, in PID order, on one line to OUT.
# Run it in the background and stop it with: touch OUT.stop; wait $!
bench_rss_watch() {
  local out=$1 i k v _; shift
  local -a max=() pids=("$@")
  for i in "${!pids[@]}"; do max[i]=0; done
  for _ in $(seq 36000); do
    for i in "${!pids[@]}"; do
      while read -r k v _; do
        [ "$k" = VmRSS: ] && { [ "$v" -gt "${max[i]}" ] && max[i]=$v; break; }
      done <"/proc/${pids[i]}/status" 2>/dev/null || true
    done
    [ -e "$out.stop" ] && break
    sleep 0.1
  done
  { for i in "${!pids[@]}"; do printf '%d ' $((max[i] / 1024)); done; echo; } >"$out"
}

# bench_shared_storage : starts a durable PostgreSQL cluster (Debian's, run as the postgres
# user when root) and versitygw (posix backend) with one bucket, both on loopback inside
# $BENCH_WORK, and sets BENCH_DB (postgres:// URL) and BENCH_BLOBS (s3:// URL), with the S3
# credentials exported as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. fsync stays on: the
# figures are those of a database that keeps what it acknowledges.
bench_shared_storage() {
  local pgbin pgdir pgport s3dir s3port as=()
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ -x "$pgbin/initdb" ] || { echo "bench: PostgreSQL not installed (run scripts/install-peers.sh)" >&2; exit 2; }
  bench_need shared versitygw
  pgdir=$BENCH_WORK/pg; mkdir -p "$pgdir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$pgdir"; chmod 755 "$BENCH_WORK"; as=(runuser -u postgres --); fi
  "${as[@]}" "$pgbin/initdb" -D "$pgdir/data" -A trust -U postgres -E UTF8 >"$BENCH_WORK/initdb.log" 2>&1
  pgport=$(bench_freeport)
  bench_bg "$BENCH_WORK/postgres.log" "${as[@]}" "$pgbin/postgres" -D "$pgdir/data" -p "$pgport" -k "$pgdir" \
    -c listen_addresses=127.0.0.1 -c max_connections=400
  for _ in $(seq 200); do "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pgport" && break; sleep 0.05; done
  "$pgbin/psql" -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'CREATE DATABASE eopack' postgres
  BENCH_DB="postgres://postgres@127.0.0.1:$pgport/eopack?sslmode=disable"

  s3dir=$BENCH_WORK/s3; mkdir -p "$s3dir/eopack"   # the posix backend: a top folder is a bucket
  s3port=$(bench_freeport)
  export AWS_ACCESS_KEY_ID=benchaccess AWS_SECRET_ACCESS_KEY=benchsecret0123456789
  bench_bg "$BENCH_WORK/versitygw.log" versitygw --access "$AWS_ACCESS_KEY_ID" --secret "$AWS_SECRET_ACCESS_KEY" \
    --port "127.0.0.1:$s3port" --quiet posix "$s3dir"
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$s3port/" && break; sleep 0.05; done
  BENCH_BLOBS="s3://eopack/registry?endpoint=http://127.0.0.1:$s3port&region=us-east-1"
}

# bench_renew DIR TEXT : writes TEXT, padded to 32 bytes, over the start of every file in DIR,
# so that the next push sends blobs no registry holds yet (one process for all files).
bench_renew() {
  python3 - "$1" "$2" <<'EOF'
import os, sys
d, text = sys.argv[1], sys.argv[2].encode()[:32].ljust(32, b".")
for n in os.listdir(d):
    with open(os.path.join(d, n), "r+b") as f:
        f.write(text)
EOF
}

# bench_ratio A B : A/B to two decimals (B = 0 counts as 0.001).
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) b = 0.001; printf "%.2f", a / b }'; }

# bench_gnu_time : installs GNU time (Debian's `time`), which bench_time_rss needs, if missing.
bench_gnu_time() {
  if [[ ! -x /usr/bin/time ]]; then
    (apt-get update -qq && apt-get install -y -qq time) >/dev/null
  fi
}

# bench_build NAME ROOT : builds eopack and bench/netdelay from the source tree ROOT into
# $BENCH_WORK; sets EOPACK.
bench_build() {
  echo "bench/$1: building eopack…"
  (cd "$2" && go build -o "$BENCH_WORK/eopack" ./cmd/eopack && go build -o "$BENCH_WORK/netdelay" ./bench/netdelay)
  EOPACK=$BENCH_WORK/eopack
}

# bench_client_dir NAME : sets CDIR, a new folder for the client's files, on tmpfs when there
# is one (so no tool's numbers include the disk's writeback), removed at exit with the rest.
bench_client_dir() {
  CDIR=$BENCH_WORK/client
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then CDIR=$(mktemp -d "/dev/shm/eopack-bench-$1.XXXXXX"); fi
  trap 'bench_cleanup; rm -rf "$CDIR"' EXIT
  mkdir -p "$CDIR"
}

# bench_med NAME / bench_peak NAME : the median wall seconds / the largest peak RSS in MiB of
# the runs bench_time_rss recorded in $BENCH_WORK/NAME.txt.
bench_med() { awk '{print $1}' "$BENCH_WORK/$1.txt" | bench_median; }
# bench_med_col NAME K : the median of column K (3: the command's CPU seconds, 4: the server's).
bench_med_col() { awk -v k="$2" '{print $k}' "$BENCH_WORK/$1.txt" | bench_median; }
bench_peak() { echo $(( $(awk '{print $2}' "$BENCH_WORK/$1.txt" | sort -n | tail -1) / 1024 )); }

# bench_pull NAME DIR PULL… : records PULL… -o DIR/out (a new folder) as NAME, then fails the
# benchmark unless the pull wrote exactly what DIR/d holds; DIR/out is removed after.
bench_pull() {
  local name=$1 dir=$2; shift 2
  rm -rf "$dir/out"; mkdir "$dir/out"
  bench_time_rss "$BENCH_WORK/$name.txt" "$@" -o "$dir/out"
  diff -r "$dir/out/d" "$dir/d" >/dev/null || { echo "bench: $1 pulled other files than $dir/d holds" >&2; exit 1; }
  rm -rf "$dir/out"
}
