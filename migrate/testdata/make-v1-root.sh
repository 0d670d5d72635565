#!/usr/bin/env bash
# make-v1-root.sh writes v1-root.tar.gz (a --root of `eopack serve` with v1 storage) and
# v1-root.expected.json (what that server served over HTTP before it stopped), the fixture
# of migrate's tests. It builds eopack at COMMIT, the last release with v1 storage, from
# `git archive` (the work tree is not touched), starts its `serve`, pushes with that same
# binary's client, reads the expectations back over HTTP, stops the server and packs the
# root. Needs git, go, curl, jq, python3 (a free port), sha512sum, tar, gzip.
#
# What the root holds:
#   eo/products     v1 pushed twice (tag moved: the first manifest is left unlisted), latest on
#                   the first, stable added with `tag`, scratch moved twice (two manifests left unlisted), an untagged
#                   manifest pushed by digest, two referrers of v1 (attach), a blob pushed
#                   alone (no manifest references it)
#   eo/landsat      a repository that has repositories beneath it
#   eo/landsat/l7   nested name, its own config blob, two tags
#   blobs           a repository named like a layout's blob folder (v1's _catalog skips it)
#   eo/multi        an image index (tag v1) with two children: amd64 (tagged), arm64 (pushed
#                   by digest, untagged)
#   eo/sha512       a sha512 layer referenced by a manifest, plus a sha512 blob alone
#   scratch/loose   only a blob: a repository no manifest has ever been pushed to
#   _uploads        one session in progress (POST, PATCH 10 bytes, no PUT)
set -euo pipefail

COMMIT=9b920c2
here=$(cd "$(dirname "$0")" && pwd)
src=$(git -C "$here" rev-parse --show-toplevel)
tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/src" "$tmp/files"
git -C "$src" archive "$COMMIT" | tar -x -C "$tmp/src"
(cd "$tmp/src" && go build -o "$tmp/eopack" ./cmd/eopack)
E=$tmp/eopack
root=$tmp/root

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
H=127.0.0.1:$port
"$E" serve --root "$root" --addr "$H" >"$tmp/serve.log" 2>&1 &
pid=$!
until curl -fs "http://$H/v2/" >/dev/null; do
	kill -0 "$pid" || { cat "$tmp/serve.log"; exit 1; }
	sleep 0.1
done

# Reproducible manifests (no creation time from the clock).
export SOURCE_DATE_EPOCH=1700000000
cd "$tmp/files"
seq 1 400 >dem.tif
echo '{"type":"Feature","id":"LE07_2003"}' >item.json
echo '{"type":"Feature","id":"LE07_2003","v":2}' >item2.json
echo 'qa passed' >qa.json
echo 'signature' >sig.txt
echo 'scratch one' >s1.txt
echo 'scratch two' >s2.txt
echo 'scratch three' >s3.txt
seq 500 700 >orphan.bin
seq 1000 1300 >band4.tif
echo '{"eo":"landsat-7"}' >l7config.json
echo 'B1' >b1.tif
echo 'read me' >readme.txt
seq 2000 2100 >loose.bin
seq 3000 3300 >big512.bin
seq 4000 4100 >alone512.bin
echo 'amd64 layer' >amd64.bin
echo 'arm64 layer' >arm64.bin
echo '{"architecture":"amd64","os":"linux"}' >cfg-amd64.json
echo '{"architecture":"arm64","os":"linux"}' >cfg-arm64.json

q() { "$E" "$@" >/dev/null; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# eo/products
q push "$H/eo/products:v1,latest" dem.tif:image/tiff item.json:application/geo+json
q push "$H/eo/products:v1" dem.tif:image/tiff item2.json:application/geo+json
q tag "$H/eo/products:v1" stable
q push "$H/eo/products:scratch" s1.txt:text/plain
q push "$H/eo/products:scratch" s2.txt:text/plain
q push "$H/eo/products:scratch" s3.txt:text/plain
q push "$H/eo/products:tmp" s3.txt:text/plain sig.txt:text/plain
"$E" manifest fetch "$H/eo/products:tmp" >untagged.json
q manifest delete --force "$H/eo/products:tmp"
q manifest push "$H/eo/products@sha256:$(sha untagged.json)" untagged.json
q attach "$H/eo/products:v1" --artifact-type application/vnd.eopack.qa.v1 qa.json:application/json
q attach "$H/eo/products:v1" --artifact-type application/vnd.example.signature.v1 sig.txt:text/plain
q blob push "$H/eo/products" orphan.bin

# eo/landsat and eo/landsat/l7
q push "$H/eo/landsat:v1" item.json:application/geo+json
q push --config l7config.json:application/vnd.eopack.stac.item.v1+json \
	--artifact-type application/vnd.eopack.eo.product.v1 \
	"$H/eo/landsat/l7:LE07_2003" band4.tif:image/tiff b1.tif:image/tiff
q tag "$H/eo/landsat/l7:LE07_2003" latest

# blobs
q push "$H/blobs:v1" readme.txt:text/plain

# eo/multi: an index of two platform manifests
child() { # arch → manifest file
	cat >"child-$1.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$(sha "cfg-$1.json")","size":$(size "cfg-$1.json")},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:$(sha "$1.bin")","size":$(size "$1.bin")}]}
EOF
	q blob push "$H/eo/multi" "cfg-$1.json"
	q blob push "$H/eo/multi" "$1.bin"
}
child amd64
child arm64
q manifest push "$H/eo/multi:amd64" child-amd64.json
q manifest push "$H/eo/multi@sha256:$(sha child-arm64.json)" child-arm64.json
cat >index.json <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$(sha child-amd64.json)","size":$(size child-amd64.json),"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$(sha child-arm64.json)","size":$(size child-arm64.json),"platform":{"architecture":"arm64","os":"linux"}}]}
EOF
q manifest push "$H/eo/multi:v1" index.json

# eo/sha512: a manifest with a sha512 layer, and a sha512 blob nothing references
s512() { sha512sum "$1" | cut -d' ' -f1; }
q blob push "$H/eo/sha512@sha512:$(s512 big512.bin)" big512.bin
q blob push "$H/eo/sha512@sha512:$(s512 alone512.bin)" alone512.bin
echo -n '{}' >empty.json
q blob push "$H/eo/sha512" empty.json
cat >m512.json <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.sha512.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:$(sha empty.json)","size":2},"layers":[{"mediaType":"application/octet-stream","digest":"sha512:$(s512 big512.bin)","size":$(size big512.bin)}]}
EOF
q manifest push "$H/eo/sha512:v1" m512.json

# scratch/loose: a blob and nothing else
q blob push "$H/scratch/loose" loose.bin

# An upload in progress: POST, PATCH ten bytes, never PUT.
loc=$(curl -fsS -o /dev/null -D - -X POST "http://$H/v2/eo/products/blobs/uploads/" |
	tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
case $loc in http*) ;; *) loc=http://$H$loc ;; esac
curl -fsS -o /dev/null -X PATCH -H 'Content-Type: application/octet-stream' \
	-H 'Content-Range: 0-9' --data-binary 0123456789 "$loc"

# Expectations, read over HTTP. Repositories: the _catalog plus "blobs", which v1's catalog
# leaves out. A file under a repository's blobs/ is a manifest if GET manifests/<digest>
# serves it, else a blob if HEAD blobs/<digest> does.
api=http://$H/v2
accept='application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json'
catalog=$(curl -fsS "$api/_catalog" | jq -c '.repositories')
repos=$(jq -r '.[]' <<<"$catalog"; echo blobs)
all='{}'
for r in $(sort -u <<<"$repos"); do
	tags='{}'
	for t in $(curl -fsS "$api/$r/tags/list" | jq -r '.tags // [] | .[]'); do
		d=$(curl -fsS -o /dev/null -D - -I -H "Accept: $accept" "$api/$r/manifests/$t" |
			tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
		tags=$(jq -c --arg t "$t" --arg d "$d" '. + {($t): $d}' <<<"$tags")
	done
	manifests='{}' blobs='{}' referrers='{}'
	for f in "$root/$r"/blobs/*/*; do
		[ -f "$f" ] || continue
		d=$(basename "$(dirname "$f")"):$(basename "$f")
		read -r code mt < <(curl -s -o /dev/null -w '%{http_code} %{content_type}\n' -H "Accept: $accept" "$api/$r/manifests/$d")
		if [ "$code" = 200 ]; then
			manifests=$(jq -c --arg d "$d" --arg m "$mt" '. + {($d): $m}' <<<"$manifests")
			refs=$(curl -fsS "$api/$r/referrers/$d" | jq -c '[.manifests[] | {digest, artifactType}] | sort_by(.digest)')
			if [ "$refs" != "[]" ]; then
				referrers=$(jq -c --arg d "$d" --argjson x "$refs" '. + {($d): $x}' <<<"$referrers")
			fi
		elif n=$(curl -fs -o /dev/null -I -w '%header{content-length}' "$api/$r/blobs/$d"); then
			blobs=$(jq -c --arg d "$d" --argjson n "$n" '. + {($d): $n}' <<<"$blobs")
		fi
	done
	all=$(jq -c --arg r "$r" --argjson t "$tags" --argjson m "$manifests" --argjson b "$blobs" \
		--argjson x "$referrers" '. + {($r): {tags: $t, manifests: $m, referrers: $x, blobs: $b}}' <<<"$all")
done
uploads=$(find "$root/_uploads" -type f | wc -l)

kill "$pid"
wait "$pid" || true
pid=

jq -S --arg c "$COMMIT" --argjson cat "$catalog" --argjson u "$uploads" \
	'{commit: $c, catalog: $cat, uploads: $u, repositories: .}' <<<"$all" >"$here/v1-root.expected.json"
# Sorted names, fixed owner and times (only the upload session id differs between runs).
tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 \
	-cf - . | gzip -n -9 >"$here/v1-root.tar.gz"
ls -l "$here/v1-root.tar.gz" "$here/v1-root.expected.json"
