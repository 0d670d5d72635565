#!/usr/bin/env bash
# The main job, end to end, on a fresh machine: package a real EO product (Landsat 7 scene,
# one Cloud-Optimized GeoTIFF per band + a STAC Item), push it to the embedded registry
# (`eopack serve`), inspect it, pull one band, pull it all back, and verify every byte.
# Also runs the seed article's workflow verbatim (layout → registry → folder).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${EOPACK_SHARED:-$(cd "$repo/.." && pwd)/shared}
work=${DEMO_DIR:-$(mktemp -d -t eopack-demo-XXXXXX)}
port=${DEMO_PORT:-5000}

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

command -v gdal_translate >/dev/null 2>&1 || {
  echo "demo: installing gdal-bin (once)" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends gdal-bin; } >&2
}

echo "demo: building eopack" >&2
(cd "$repo" && go build -o "$work/bin/eopack" ./cmd/eopack)
export PATH="$work/bin:$PATH"
cd "$work"

# The embedded registry: no Docker needed. Use a free port if $port is taken.
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then port=$((port + 1000 + RANDOM % 1000)); fi
eopack serve --addr 127.0.0.1:$port --root "$work/registry" >"$work/serve.log" 2>&1 &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true; wait $serve_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
reg=127.0.0.1:$port

# 1. Per-band COGs from the real Landsat 7 scene (6 bands), and a STAC Item for them.
mkdir -p product
for b in 1 2 3 4 5 6; do
  gdal_translate -q -b $b -of COG -co COMPRESS=DEFLATE "$shared/data/L7_ETMs.tif" product/B$b.tif
done
run eopack stac create product/B1.tif product/B2.tif product/B3.tif product/B4.tif product/B5.tif product/B6.tif \
  --id LE07_olinda_demo --collection landsat-7-demo --datetime 2002-07-28T12:00:00Z -o product/item.json

# 2. Push the product: one layer per band, the STAC Item as config, product fields on the manifest.
run eopack push $reg/eo/landsat:v1 --stac product/item.json
run eopack inspect $reg/eo/landsat:v1

# 3. Pull one band only, then everything, and verify every byte against the originals.
run eopack pull $reg/eo/landsat:v1 -o one-band --stac --band B4
run eopack pull $reg/eo/landsat:v1 -o all --stac
for b in 1 2 3 4 5 6; do cmp product/B$b.tif all/B$b.tif; done
cmp product/B4.tif one-band/B4.tif
echo "verified: 6 bands pulled back byte-identical; single-band pull fetched only B4: $(ls one-band | tr '\n' ' ')"

# 4. A second push of the same product moves no blob bytes (content-addressed dedup).
run eopack push $reg/eo/landsat:v1 --stac product/item.json

# 5. The seed article's workflow, verbatim but with eopack in place of oras.
mkdir -p data
cp "$shared/data/olinda_dem_utm25s.tif" data/imagery.tif
cp product/item.json data/stac_item.json
echo '{}' > data/config.json
run eopack push --oci-layout eo-layout:eo/products:v1 \
  --artifact-type application/vnd.my-earth-observation-product.v1 \
  data/imagery.tif:image/tiff \
  data/stac_item.json:application/geo+json \
  data/config.json:application/vnd.oci.artifact.config.v1+json
run eopack cp --from-oci-layout eo-layout:eo/products:v1 --to $reg/eo/products:v1
run eopack pull $reg/eo/products:v1 --output ./retrieved
# ORAS keeps the path as given as the title, so files come back under retrieved/data/.
cmp data/imagery.tif retrieved/data/imagery.tif
cmp data/stac_item.json retrieved/data/stac_item.json
cmp data/config.json retrieved/data/config.json
echo "verified: seed workflow round-trip byte-identical"
echo "demo: done (work folder $work)"
