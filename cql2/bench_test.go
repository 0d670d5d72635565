package cql2

import "testing"

func BenchmarkEval(b *testing.B) {
	for _, c := range []struct{ name, filter string }{
		{"comparison", `eo:cloud_cover < 10 AND platform = 'Sentinel-2B'`},
		{"like-casei", `CASEI(id) LIKE CASEI('s2b%t32tlt')`},
		{"bbox", `S_INTERSECTS(geometry, BBOX(7.9, 46.9, 9, 48))`},
		{"interval", `T_INTERSECTS(datetime, INTERVAL('2024-05-01', '2024-05-02'))`},
	} {
		e, err := ParseText(c.filter)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := Eval(e, item); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

func BenchmarkParseText(b *testing.B) {
	const s = `eo:cloud_cover < 10 AND platform IN ('sentinel-2a', 'sentinel-2b') AND S_INTERSECTS(geometry, BBOX(7, 46, 8, 47)) AND T_INTERSECTS(datetime, INTERVAL('2024-05-01', '..'))`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseText(s); err != nil {
			b.Fatal(err)
		}
	}
}
