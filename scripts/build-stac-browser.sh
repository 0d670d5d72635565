#!/usr/bin/env bash
# Builds STAC Browser from its npm source package: build-stac-browser.sh PKG@VERSION
# OL_STAC_PIN OUT leaves the built site in OUT/stac-browser/dist (hash routes, so any static
# server can serve it and /#/external/URL opens any STAC API). ol-stac is pinned because
# newer releases need a newer OpenLayers than STAC Browser 4.0 ships with. node_modules
# (~420 MB) stay in OUT/src, which the caller removes.
# scripts/install-peers.sh runs this in the background.
set -euo pipefail
pin=$1 olstac=$2 out=$3

mkdir -p "$out/src"
cd "$out/src"
npm pack --silent "$pin" >/dev/null
tar -xzf ./*.tgz
cd package
npm pkg set "dependencies.ol-stac=${olstac#ol-stac@}"
npm install --no-audit --no-fund --loglevel=error
got=$(node -p "JSON.parse(require('fs').readFileSync('node_modules/ol-stac/package.json')).version")
if [ "$got" != "${olstac#ol-stac@}" ]; then
  echo "build-stac-browser: npm installed ol-stac $got, not ${olstac#ol-stac@}" >&2
  exit 1
fi
SB_historyMode=hash npx vue-cli-service build --noSourceMaps
mkdir -p "$out/stac-browser"
mv dist "$out/stac-browser/dist"
