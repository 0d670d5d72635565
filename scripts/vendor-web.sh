#!/usr/bin/env bash
# Re-vendors the map library the web page embeds: Leaflet, pinned, from npm (`npm pack`),
# its dist files and its LICENSE copied to web/static/vendor/leaflet/. The vendored files are
# committed, so `go build` needs neither npm nor the network; rerun this to check them
# (git diff shows any change) or after changing the pin.
set -euo pipefail
cd "$(dirname "$0")/.."

pin=leaflet@1.9.4
dest=web/static/vendor/leaflet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "$pin" >/dev/null)
tar -xzf "$tmp"/leaflet-*.tgz -C "$tmp"
rm -rf "$dest"
mkdir -p "$dest/images"
cp "$tmp/package/dist/leaflet.js" "$tmp/package/dist/leaflet.css" "$tmp/package/LICENSE" "$dest/"
cp "$tmp"/package/dist/images/*.png "$dest/images/"
echo "$pin" > "$dest/VERSION"
echo "vendored $pin into $dest" >&2
