#!/usr/bin/env bash
# Builds the OCI distribution-spec conformance suite (a Go test package) into one binary.
# Usage: build-conformance.sh MODULE@VERSION OUT
set -euo pipefail
mod=$1 out=$2
# A throwaway module that requires the suite, so `go test -c` can build it from the module cache.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init conformance-build >/dev/null 2>&1
GOFLAGS=-mod=mod go get "$mod" >/dev/null
pkg=${mod%@*}
if go list -f '{{.Name}}' "$pkg" 2>/dev/null | grep -qx main; then
  GOBIN=$(dirname "$out") go install "$mod"
else
  GOFLAGS=-mod=mod go test -c -o "$out" "$pkg"
fi
