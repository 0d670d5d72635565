#!/usr/bin/env bash
# Runs every test: installs the pinned peers (cached), vets, runs unit and integration tests
# with real peers, then the OCI conformance suite against `eopack serve`.
# This is the README's test command (`make test`) and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(scripts/install-peers.sh)
export PATH="$bin:$PATH"
export EOPACK_SHARED=${EOPACK_SHARED:-$(cd .. && pwd)/shared}

echo "== go vet"
go vet ./...

echo "== go test (unit + integration with real peers)"
# -p 1 keeps integration packages (each starts registries) from competing for the 2 cores.
go test -count=1 -p 1 -timeout 40m ./...

echo "== OCI conformance suite against eopack serve"
scripts/conformance.sh
