#!/usr/bin/env bash
# Runs every benchmark in one go against the pinned peers (ORAS CLI, distribution registry)
# and eopack, printing medians, ratios and peak RSS. Not part of `make test`: speed and memory
# are measured here, never asserted in tests.
#   bench/run.sh            all six (client, serve, eo, many, transfers, wan)
#   bench/run.sh client     one of them
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$("$here/../scripts/install-peers.sh")
export PATH="$bin:$PATH"
parts=("$@"); [ ${#parts[@]} -gt 0 ] || parts=(client serve eo many transfers wan)
for p in "${parts[@]}"; do
  if [ "$p" = eo ]; then
    # The EO product benchmark against both registries.
    for r in serve distribution; do
      echo "===== bench/eo.sh (REGISTRY=$r)"
      REGISTRY=$r "$here/eo.sh"
    done
    continue
  fi
  echo "===== bench/$p.sh"
  "$here/$p.sh"
done
