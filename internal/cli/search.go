package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/eopack/eopack/cql2"
	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/stacsearch"
	"github.com/eopack/eopack/target"
)

func init() { register(newSearchCommand) }

// searchAPIEnv names the STAC API that `eopack search` asks when no URL is given.
const searchAPIEnv = "EOPACK_STAC_API"

// defaultMaxItems is how many items a search shows unless --max-items says otherwise.
const defaultMaxItems = 100

type searchOptions struct {
	api         string
	bbox        string
	intersects  string
	datetime    string
	collections []string
	ids         []string
	filter      string
	sortby      string
	limit       int
	maxItems    int
	format      string
	remote      target.Options
}

func newSearchCommand(stdio *IO) *cobra.Command {
	opts := &searchOptions{}
	cmd := &cobra.Command{
		Use:   "search [flags] [URL]",
		Short: "Search a STAC API for EO products by place, time and properties",
		Long: `Search the STAC API whose landing page is URL (default: $` + searchAPIEnv + `), e.g. the
/stac/ of eopack serve or of eopack stac serve, or any STAC API v1.0.0. The search goes as
POST when the API offers it, else GET, and follows the API's next links until --max-items
items have come (0: all). Output: a table (id, datetime, collection, reference), one
ItemCollection (--format json), or one registry/repo@digest per line (--format refs) to
hand to eopack pull. The API's credentials, if it needs any, are the registry's: -u/-p,
or what eopack login stored for its host.`,
		Example: `  eopack search http://localhost:5000/stac/ --bbox -35,-8.2,-34.8,-7.9 --datetime 2001-06
  eopack search --collections landsat-7 --filter "eo:cloud_cover < 10" --sortby -datetime
  eopack search --intersects olinda.geojson --format refs | xargs -n1 eopack pull -o out`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.api = args[0]
			}
			return runSearch(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.bbox, "bbox", "", "bounding box `w,s,e,n` in WGS84 degrees")
	f.StringVar(&opts.intersects, "intersects", "", "GeoJSON `file` of a geometry (or a Feature) the items must intersect")
	f.StringVar(&opts.datetime, "datetime", "", "an instant or an interval `a/b` (RFC 3339, a date, a month or a year; .. for an open end)")
	f.StringSliceVar(&opts.collections, "collections", nil, "only these collections (comma-separated)")
	f.StringSliceVar(&opts.ids, "ids", nil, "only items with these ids (comma-separated)")
	f.StringVar(&opts.filter, "filter", "", "CQL2 text filter, e.g. \"eo:cloud_cover < 10\"")
	f.StringVar(&opts.sortby, "sortby", "", "sort keys, e.g. -datetime,+id (- descending)")
	f.IntVar(&opts.limit, "limit", 0, "page size asked of the API (default: up to 100)")
	f.IntVar(&opts.maxItems, "max-items", defaultMaxItems, "stop after this many items (0: all)")
	f.StringVar(&opts.format, "format", "table", "output: table, json (an ItemCollection) or refs (registry/repo@digest lines)")
	o := &opts.remote
	f.StringVarP(&o.Username, "username", "u", "", "username for the API")
	f.StringVarP(&o.Password, "password", "p", "", "password or identity token for the API")
	f.StringVar(&o.RegistryConfig, "registry-config", "", "`path` of the authentication file")
	f.BoolVar(&o.Insecure, "insecure", false, "allow connections to an SSL API without certs")
	f.StringVar(&o.CAFile, "ca-file", "", "server certificate authority file for the API")
	f.BoolVarP(&o.Debug, "debug", "d", false, "print HTTP requests and responses to stderr, credentials redacted")
	return cmd
}

func runSearch(ctx context.Context, stdio *IO, opts *searchOptions) error {
	if opts.api == "" {
		opts.api = os.Getenv(searchAPIEnv)
	}
	if opts.api == "" {
		return usagef("no STAC API given: pass its URL or set %s", searchAPIEnv)
	}
	u, err := url.Parse(opts.api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("%q: want the http(s) URL of a STAC API, e.g. http://localhost:5000/stac/", opts.api)
	}
	switch opts.format {
	case "table", "json", "refs":
	default:
		return usagef("--format %q: want table, json or refs", opts.format)
	}
	p, err := searchParams(opts)
	if err != nil {
		return err
	}
	client, err := opts.remote.Client(u.Host)
	if err != nil {
		return err
	}
	var (
		add    func(json.RawMessage) error
		finish func(stacsearch.Result) error
		noRef  int
		sc     = &stacsearch.Client{HTTP: client}
		out    = stdio.Out
	)
	switch opts.format {
	case "json":
		c, err := stacsearch.NewCollection(out)
		if err != nil {
			return err
		}
		add, finish = c.Add, func(r stacsearch.Result) error { return c.Close(r.NumberMatched) }
	case "refs":
		add = func(item json.RawMessage) error {
			s, err := stacsearch.Summarize(item)
			if err != nil {
				return err
			}
			if !s.Pullable {
				noRef++
				return nil
			}
			_, err = fmt.Fprintln(out, s.Reference)
			return err
		}
		finish = func(stacsearch.Result) error { return nil }
	default:
		tbl := stacsearch.NewTable(out)
		add = func(item json.RawMessage) error {
			s, err := stacsearch.Summarize(item)
			if err != nil {
				return err
			}
			return tbl.Add(s)
		}
		finish = func(stacsearch.Result) error { return tbl.Close() }
	}
	res, err := sc.Search(ctx, u.String(), p, add)
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return fmt.Errorf("%s answered 401 Unauthorized: the API wants credentials: give -u/-p or run eopack login %s", opts.api, u.Host)
	}
	if err != nil {
		return err
	}
	if err := finish(res); err != nil {
		return err
	}
	if noRef > 0 {
		fmt.Fprintf(stdio.Err, "Warning: %d items have no eopack:reference (not served from a registry) and are left out\n", noRef)
	}
	if res.More {
		of := ""
		if res.NumberMatched >= 0 {
			of = fmt.Sprintf(" of %d", res.NumberMatched)
		}
		fmt.Fprintf(stdio.Err, "Showing the first %d items%s: --max-items N for more, 0 for all\n", res.Returned, of)
	}
	return nil
}

// searchParams checks the search flags and turns them into a search.
func searchParams(opts *searchOptions) (stacsearch.Params, error) {
	p := stacsearch.Params{Collections: opts.collections, IDs: opts.ids, Limit: opts.limit, MaxItems: opts.maxItems}
	if opts.limit < 0 || opts.maxItems < 0 {
		return p, usagef("--limit and --max-items take a positive number (or 0)")
	}
	if p.Limit == 0 {
		p.Limit = defaultMaxItems
	}
	var err error
	if opts.bbox != "" {
		if p.BBox, err = stac.ParseBBox(opts.bbox); err != nil {
			return p, usagef("--bbox: %v", err)
		}
	}
	if opts.intersects != "" {
		if opts.bbox != "" {
			return p, usagef("--bbox and --intersects cannot be used together")
		}
		b, err := os.ReadFile(opts.intersects)
		if err != nil {
			return p, usagef("--intersects: %v", err)
		}
		if p.Intersects, err = stacsearch.Geometry(b); err != nil {
			return p, usagef("--intersects %s: %v", opts.intersects, err)
		}
	}
	if p.Datetime, err = stacsearch.ParseDatetime(opts.datetime); err != nil {
		return p, usagef("--datetime: %v", err)
	}
	if opts.sortby != "" {
		if p.SortBy, err = stacsearch.ParseSortBy(opts.sortby); err != nil {
			return p, usagef("--sortby: %v", err)
		}
	}
	if f := strings.TrimSpace(opts.filter); f != "" {
		p.Filter = f
		if p.FilterJSON, err = filterJSON(f); err != nil {
			return p, usagef("--filter: %v", err)
		}
	}
	return p, nil
}

// filterJSON checks a cql2-text filter and returns it as cql2-json, for POST searches.
func filterJSON(text string) (json.RawMessage, error) {
	e, err := cql2.ParseText(text)
	if err != nil {
		return nil, err
	}
	return cql2.MarshalJSON(e)
}
