package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/stac"
)

func init() { register(newStacCommand) }

func newStacCommand(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stac",
		Short: "Work with STAC: describe products, index a registry, serve a STAC API for it",
	}
	cmd.AddCommand(newStacCreateCommand(stdio), newStacIndexCommand(stdio), newStacServeCommand(stdio))
	return cmd
}

type stacCreateOptions struct {
	files      []string
	output     string
	id         string
	datetime   string
	collection string
	collHref   string
	bbox       string
	now        func() time.Time
}

func newStacCreateCommand(stdio *IO) *cobra.Command {
	opts := &stacCreateOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "create FILE.tif... [-o item.json]",
		Short: "Write a STAC 1.1 Item describing GeoTIFF/COG files",
		Long: `Write a STAC 1.1 Item for GeoTIFF or Cloud-Optimized GeoTIFF files, reading their
georeferencing (size, bands, data type, CRS, transform, nodata, COG layout) from the files.
One asset per file, keyed by the file name without extension; hrefs are relative to the
item, so write the item into the folder that holds the files. bbox and geometry are in
WGS84 (UTM zones on WGS84/GRS80 datums and geographic CRSs are transformed; for other CRSs
give --bbox).`,
		Example: `  eopack stac create B1.tif B2.tif B3.tif -o item.json --datetime 2001-06-01T12:00:00Z`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.files = args
			return runStacCreate(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", "", "write the item to this file (default: standard output)")
	f.StringVar(&opts.id, "id", "", "item id (default: the files' folder name, or the file name for one file)")
	f.StringVar(&opts.datetime, "datetime", "", "acquisition time, RFC 3339 (default: now, with a warning)")
	f.StringVar(&opts.collection, "collection", "", "collection id")
	f.StringVar(&opts.collHref, "collection-href", "collection.json", "href of the item's collection link (with --collection)")
	f.StringVar(&opts.bbox, "bbox", "", "WGS84 bounding box w,s,e,n (required for CRSs eopack cannot transform)")
	return cmd
}

func runStacCreate(_ context.Context, stdio *IO, opts *stacCreateOptions) error {
	co := stac.CreateOptions{ID: opts.id, Collection: opts.collection, CollectionHref: opts.collHref, ItemDir: "."}
	if opts.output != "" {
		co.ItemDir = filepath.Dir(opts.output)
	}
	if opts.datetime != "" {
		t, err := time.Parse(time.RFC3339, opts.datetime)
		if err != nil {
			return usagef("--datetime %q: want RFC 3339, e.g. 2001-06-01T12:00:00Z", opts.datetime)
		}
		co.Datetime = t
	} else {
		co.Datetime = opts.now()
		fmt.Fprintf(stdio.Err, "Warning: no --datetime given, using the current time %s\n", co.Datetime.UTC().Format(time.RFC3339))
	}
	if opts.bbox != "" {
		b, err := stac.ParseBBox2D(opts.bbox)
		if err != nil {
			return usagef("--bbox: %v", err)
		}
		co.BBox = b
	}
	it, err := stac.Create(opts.files, co)
	if err != nil {
		return err
	}
	data, err := it.Encode()
	if err != nil {
		return err
	}
	if opts.output == "" {
		_, err = stdio.Out.Write(data)
		return err
	}
	if err := writeFileAtomic(opts.output, bytes.NewReader(data), nil); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdio.Out, createdLine(opts.output, it))
	return err
}

// createdLine is what `stac create -o` prints once the item is written, e.g.
// "Wrote item.json: 6 assets, bbox -34.9,-8.1,-34.8,-7.9".
func createdLine(path string, it *stac.Item) string {
	assets := fmt.Sprintf("%d assets", len(it.Assets))
	if len(it.Assets) == 1 {
		assets = "1 asset"
	}
	line := fmt.Sprintf("Wrote %s: %s", path, assets)
	if len(it.BBox) > 0 {
		line += ", bbox " + stac.FormatBBox(it.BBox)
	}
	return line
}
