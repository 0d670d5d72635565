package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacindex"
)

// collections are Landsat- and Sentinel-like: footprint size (degrees of latitude), gsd,
// platforms, instrument.
var collections = []struct {
	id, constellation, instrument string
	platforms                     []string
	size                          float64
	gsd                           float64
}{
	{"landsat-c2-l2", "landsat", "oli", []string{"landsat-8", "landsat-9"}, 1.66, 30},
	{"landsat-c2-l1", "landsat", "oli", []string{"landsat-8", "landsat-9"}, 1.66, 30},
	{"landsat-7-c2-l2", "landsat", "etm+", []string{"landsat-7"}, 1.66, 30},
	{"sentinel-2-l2a", "sentinel-2", "msi", []string{"sentinel-2a", "sentinel-2b"}, 0.99, 10},
	{"sentinel-2-l1c", "sentinel-2", "msi", []string{"sentinel-2a", "sentinel-2b"}, 0.99, 10},
	{"sentinel-1-grd", "sentinel-1", "c-sar", []string{"sentinel-1a", "sentinel-1b"}, 2.3, 20},
	{"sentinel-3-olci", "sentinel-3", "olci", []string{"sentinel-3a", "sentinel-3b"}, 11, 300},
	{"hls-l30", "hls", "oli", []string{"landsat-8", "landsat-9"}, 0.99, 30},
	{"hls-s30", "hls", "msi", []string{"sentinel-2a", "sentinel-2b"}, 0.99, 30},
	{"cbers-4-mux", "cbers", "mux", []string{"cbers-4"}, 1.1, 20},
}

// land are rough continental boxes (w, s, e, n) scenes fall in, weighted by area.
var land = [][4]float64{
	{-125, 25, -65, 55}, {-80, -55, -35, 10}, {-10, 36, 40, 70}, {-17, -35, 50, 35},
	{40, 10, 145, 60}, {113, -44, 153, -11}, {-165, 55, -100, 72},
}

var start = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

const years = 10

// scene makes item i: a footprint of the collection's size, slightly rotated, over land,
// at a random time within ten years.
func scene(r *rand.Rand, i int) stacindex.Entry {
	c := collections[i%len(collections)]
	var b [4]float64
	area := 0.0
	for _, l := range land {
		area += (l[2] - l[0]) * (l[3] - l[1])
	}
	pick := r.Float64() * area
	for _, l := range land {
		if pick -= (l[2] - l[0]) * (l[3] - l[1]); pick <= 0 {
			b = l
			break
		}
	}
	if b == [4]float64{} {
		b = land[len(land)-1]
	}
	lat := b[1] + r.Float64()*(b[3]-b[1])
	lon := b[0] + r.Float64()*(b[2]-b[0])
	h := c.size / 2
	w := h / math.Cos(lat*math.Pi/180)
	tilt := 0.1 * w
	ring := [][]float64{{lon - w + tilt, lat - h}, {lon + w + tilt, lat - h + 0.05}, {lon + w - tilt, lat + h}, {lon - w - tilt, lat + h - 0.05}}
	ring = append(ring, ring[0])
	west, east := lon-w-tilt, lon+w+tilt
	t := start.Add(time.Duration(r.Int64N(int64(years * 365.25 * 24 * float64(time.Hour)))))
	platform := c.platforms[r.IntN(len(c.platforms))]
	id := fmt.Sprintf("%s_%07d_%s", c.id, i, t.Format("20060102"))
	zone := int((lon+180)/6) + 1
	epsg := 32600 + zone
	if lat < 0 {
		epsg = 32700 + zone
	}
	assets := map[string]any{}
	blobs := map[string]stacindex.Blob{}
	for _, band := range []string{"B01", "B02", "B03", "B04", "B05", "B06", "B07"} {
		assets[band] = map[string]any{"href": band + ".tif", "type": "image/tiff; application=geotiff; profile=cloud-optimized",
			"roles": []string{"data"}, "title": "Band " + band[1:]}
		blobs[band] = stacindex.Blob{Digest: randomDigest(r), Size: 40<<20 + r.Int64N(40<<20), MediaType: "image/tiff"}
	}
	item := map[string]any{
		"type": "Feature", "stac_version": "1.1.0", "id": id, "collection": c.id,
		"stac_extensions": []string{"https://stac-extensions.github.io/projection/v2.0.0/schema.json",
			"https://stac-extensions.github.io/eo/v2.0.0/schema.json"},
		"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}},
		"bbox":     []float64{round(west), round(lat - h), round(east), round(lat + h)},
		"properties": map[string]any{
			"datetime": t.Format(time.RFC3339), "platform": platform, "constellation": c.constellation,
			"instruments": []string{c.instrument}, "gsd": c.gsd, "eo:cloud_cover": math.Round(r.Float64()*10000) / 100,
			"proj:code": fmt.Sprintf("EPSG:%d", epsg), "view:sun_elevation": math.Round(20+r.Float64()*5000) / 100,
			"view:off_nadir": math.Round(r.Float64()*1000) / 100,
		},
		"links": []any{}, "assets": assets,
	}
	body, _ := json.Marshal(item)
	repo := "eo/" + c.id
	return stacindex.Entry{Repo: repo, Digest: digest.FromBytes(body), Tags: []string{id},
		Created: start.Add(time.Duration(i) * time.Second), Item: body, Assets: blobs}
}

func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func randomDigest(r *rand.Rand) digest.Digest {
	var b [32]byte
	for i := 0; i < 32; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(b[:]))
}

// generate indexes n scenes in batches; generation runs ahead of the writer in its own
// goroutine, so the rate is the index's.
func generate(ctx context.Context, path string, n, batch int, bulk bool) error {
	_, err := os.Stat(path)
	bulk = bulk && errors.Is(err, fs.ErrNotExist)
	f, err := stacindex.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if bulk {
		if err := f.BeginBulk(ctx); err != nil {
			return err
		}
	}
	batches := make(chan []stacindex.Entry, 4)
	go func() {
		defer close(batches)
		r := rand.New(rand.NewPCG(42, 1))
		for i := 0; i < n; i += batch {
			var b []stacindex.Entry
			for j := i; j < min(i+batch, n); j++ {
				b = append(b, scene(r, j))
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	t0 := time.Now()
	done, last := 0, t0
	for b := range batches {
		if err := f.PutAll(ctx, b); err != nil {
			return err
		}
		done += len(b)
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			fmt.Printf("  %d items, %.0f items/s\n", done, float64(done)/time.Since(t0).Seconds())
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if bulk {
		t1 := time.Now()
		if err := f.EndBulk(ctx); err != nil {
			return err
		}
		fmt.Printf("  bulk load ended (search indexes, R*Tree, sync) in %.1f s\n", time.Since(t1).Seconds())
	}
	s := time.Since(t0).Seconds()
	fmt.Printf("indexed %d items in %.1f s: %.0f items/s\n", done, s, float64(done)/s)
	return nil
}
