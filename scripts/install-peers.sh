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

# Slow builds go on in the background while the tests run (cosign: ~13 CPU-minutes; STAC
# Browser: ~8 minutes of npm install and webpack): bg_build NAME DIR PIN CMD… runs
# `CMD… TMP`, which leaves NAME in the fresh folder TMP; NAME is then renamed to DIR/NAME and
# its stamp DIR/.NAME.version (holding PIN) written. A lock folder holding the builder's PID
# keeps two runs from building at once; a failure leaves .NAME.failed (with the log
# .NAME.log) for the tests to report. Tests wait for the stamp (testpeer.WaitBin).
bg_build() {
  local name=$1 dir=$2 pin=$3
  shift 3
  local stamp=$dir/.$name.version lock=$dir/.$name.lock log=$dir/.$name.log
  if [ -e "$dir/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pin" ]; then
    return 0
  fi
  if [ -d "$lock" ] && kill -0 "$(cat "$lock/pid" 2>/dev/null)" 2>/dev/null; then
    echo "install-peers: $pin is being built (log: $log)" >&2
    return 0
  fi
  rm -rf "$lock"
  mkdir "$lock" 2>/dev/null || return 0 # another run took the lock just now
  echo $$ > "$lock/pid" # this script's, until the builder writes its own
  rm -f "$stamp" "$dir/.$name.failed"
  echo "install-peers: building $pin in the background (log: $log)" >&2
  (
    echo "$BASHPID" > "$lock/pid"
    tmp=$(mktemp -d "$dir/.$name.build-XXXXXX")
    if "$@" "$tmp" && rm -rf "$dir/$name" && mv -f "$tmp/$name" "$dir/$name"; then
      echo "$pin" > "$stamp"
    else
      echo "$pin" > "$dir/.$name.failed"
    fi
    rm -rf "$tmp" "$lock"
  ) </dev/null >"$log" 2>&1 &
}

# go_install MOD DIR: go install MOD with its binary in DIR.
go_install() { GOBIN=$2 GOFLAGS=-mod=mod go install "$1"; }

bg_build cosign "$bin" github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3 \
  go_install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3

need_apt=()
command -v gdalinfo >/dev/null 2>&1 || need_apt+=(gdal-bin)
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v bc >/dev/null 2>&1 || need_apt+=(bc)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# tmux: the progress bars and the password prompt are read off a real terminal (capture-pane).
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
# PostgreSQL 15 (Debian bookworm's): the scale-out tests start throwaway clusters with initdb.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
# chromium: the web page and STAC Browser are driven headless (chromedp); npm builds STAC Browser.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-peers: apt-get install ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}") >&2
fi

# STAC Browser 4, a STAC API client people use, built from its npm source package into
# $peers/stac-browser/dist (needs npm, installed above).
bg_build stac-browser "$peers" "@radiantearth/stac-browser@4.0.1 ol-stac@1.2.0 historyMode=hash" \
  "$(cd "$(dirname "$0")" && pwd)/build-stac-browser.sh" @radiantearth/stac-browser@4.0.1 ol-stac@1.2.0

echo "$bin"
