package main

import (
	"fmt"
	"strconv"
)

// The bodies below are built by appending to a byte slice: a few hundred bytes per request,
// cheap enough that the generator never waits on itself.

// descriptor is the JSON of an OCI descriptor.
func descriptor(mediaType, digest string, size int) string {
	return `{"mediaType":"` + mediaType + `","digest":"` + digest + `","size":` + strconv.Itoa(size) + `}`
}

var emptyDesc = descriptor(mediaEmpty, digestOf(emptyBlob), len(emptyBlob))

// layerBlob is artifact i's layer: 128 bytes, unique per i.
func layerBlob(i int) []byte {
	b := fmt.Appendf(make([]byte, 0, 128), "eopack bench/scale layer %d\n", i)
	for len(b) < 128 {
		b = append(b, byte('a'+len(b)%26))
	}
	return b
}

// artifactManifest is an image manifest with the empty config and one layer.
func artifactManifest(layer []byte) []byte {
	return []byte(`{"schemaVersion":2,"mediaType":"` + mediaManifest + `",` +
		`"artifactType":"application/vnd.eopack.bench.scale",` +
		`"config":` + emptyDesc + `,` +
		`"layers":[` + descriptor(mediaLayer, digestOf(layer), len(layer)) + `]}`)
}

// tinyManifest is an image manifest whose config and only layer are the empty blob.
func tinyManifest(artifactType string) []byte {
	return []byte(`{"schemaVersion":2,"mediaType":"` + mediaManifest + `",` +
		`"artifactType":"` + artifactType + `",` +
		`"config":` + emptyDesc + `,"layers":[` + emptyDesc + `]}`)
}

// referrerTypes is how many artifactTypes the referrers cycle through.
const referrerTypes = 10

// referrerManifest is referrer i of subject: its artifactType is one of referrerTypes and an
// annotation carries i, so every referrer is a distinct manifest.
func referrerManifest(subject []byte, i int) []byte {
	return []byte(`{"schemaVersion":2,"mediaType":"` + mediaManifest + `",` +
		`"artifactType":"application/vnd.eopack.bench.referrer.` + strconv.Itoa(i%referrerTypes) + `",` +
		`"config":` + emptyDesc + `,"layers":[` + emptyDesc + `],` +
		`"subject":` + descriptor(mediaManifest, digestOf(subject), len(subject)) + `,` +
		`"annotations":{"org.eopack.bench.index":"` + strconv.Itoa(i) + `"}}`)
}
