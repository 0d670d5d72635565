#!/usr/bin/env bash
# Runs the pinned OCI distribution-spec conformance suite against `eopack serve` with every
# optional API switched on, and prints "conformance: N tests, F failures, S skipped" from its
# junit.xml. Exits non-zero unless F=0 and S=0. Report files go to a temp dir (kept and named
# on failure), never into the repository.
# Usage: scripts/conformance.sh   (env: EOPACK_PEERS, KEEP=1 to keep the report dir)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
peers=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}
suite=$peers/bin/conformance
[ -x "$suite" ] || { echo "conformance: suite not installed at $suite: run scripts/install-peers.sh" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/eopack-conformance.XXXXXX")
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ] || [ "${failed:-1}" = 1 ]; then
    echo "conformance: reports and server log kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

(cd "$repo" && go build -o "$work/eopack" ./cmd/eopack)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
addr=127.0.0.1:$port
"$work/eopack" serve --addr "$addr" --root "$work/root" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://$addr/v2/" && break
  sleep 0.1
done

set +e
(cd "$work" && env OCI_REGISTRY="$addr" OCI_TLS=disabled \
  OCI_API_BLOBS_DIGEST_HEADER=true OCI_API_BLOBS_UPLOAD_CANCEL=true \
  OCI_API_MANIFESTS_DIGEST_HEADER=true OCI_API_MANIFESTS_TAG_PARAM=true \
  OCI_RESULTS_DIR="$work/results" \
  "$suite" >"$work/conformance.out" 2>&1)
set -e

junit=$work/results/junit.xml
[ -f "$junit" ] || { echo "conformance: no junit.xml (see $work/conformance.out)" >&2; failed=1; exit 1; }
# The suite's own counts (its "OCI Conformance Result" table): attributes of <testsuite>.
read -r tests failures skipped < <(python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
a = lambda su, k: int(su.get(k) or 0)
t = sum(a(su, "tests") for su in suites)
f = sum(a(su, "failures") + a(su, "errors") for su in suites)
s = sum(a(su, "skipped") + a(su, "disabled") for su in suites)
print(t, f, s)
PY
)
echo "conformance: $tests tests, $failures failures, $skipped skipped"
if [ "$failures" = 0 ] && [ "$skipped" = 0 ] && [ "$tests" -gt 0 ]; then failed=0; exit 0; fi
failed=1
exit 1
