#!/usr/bin/env bash
# Installs the real peers the tests and benchmarks use, pinned as in ../shared/ARCHITECTURE.md.
# Go binaries are built once with `go install` into $EOPACK_PEERS (default ~/.cache/eopack/peers/bin)
# and reused while the pinned version is unchanged; Debian packages come from apt-get.
# Prints the bin folder on stdout so callers can `export PATH="$(scripts/install-peers.sh):$PATH"`.
set -euo pipefail

peers=${EOPACK_PEERS:-$HOME/.cache/eopack/peers}
bin=$peers/bin
mkdir -p "$bin"

# name|module@version — the binary name is the last path element of the module path.
pins=(
  "registry|github.com/distribution/distribution/v3/cmd/registry@v3.1.2"
  "oras|oras.land/oras/cmd/oras@v1.3.6"
  "crane|github.com/google/go-containerregistry/cmd/crane@v0.22.1"
  "regctl|github.com/regclient/regclient/cmd/regctl@v0.11.7"
  "conformance|github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111"
  "versitygw|github.com/versity/versitygw/cmd/versitygw@v1.8.0"
)

for pin in "${pins[@]}"; do
  name=${pin%%|*}; mod=${pin#*|}
  stamp=$bin/.$name.version
  if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then
    continue
  fi
  echo "install-peers: building $mod" >&2
  if [ "$name" = conformance ]; then
    # The conformance suite is a Go test package: build its test binary.
    "$(dirname "$0")/build-conformance.sh" "$mod" "$bin/$name" >&2
  else
    GOBIN=$bin GOFLAGS=-mod=mod go install "$mod" >&2
  fi
  echo "$mod" > "$stamp"
done

need_apt=()
command -v gdalinfo >/dev/null 2>&1 || need_apt+=(gdal-bin)
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v bc >/dev/null 2>&1 || need_apt+=(bc)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# tmux: integration/progress reads the progress bars off a terminal (capture-pane).
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
# PostgreSQL 15 (Debian bookworm's): the scale-out tests start throwaway clusters with initdb.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-peers: apt-get install ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}") >&2
fi

echo "$bin"
