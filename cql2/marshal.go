package cql2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// MarshalJSON writes e as cql2-json; ParseJSON of the result gives e back.
func MarshalJSON(e Expr) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, e); err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, e Expr) error {
	switch x := e.(type) {
	case Op:
		b.WriteString(`{"op":`)
		writeJSONString(b, x.Op)
		b.WriteString(`,"args":`)
		if err := writeJSONArray(b, x.Args); err != nil {
			return err
		}
		b.WriteByte('}')
	case Property:
		b.WriteString(`{"property":`)
		writeJSONString(b, x.Name)
		b.WriteByte('}')
	case Timestamp:
		b.WriteString(`{"timestamp":`)
		writeJSONString(b, formatTimestamp(x.T))
		b.WriteByte('}')
	case Date:
		b.WriteString(`{"date":`)
		writeJSONString(b, x.T.Format(time.DateOnly))
		b.WriteByte('}')
	case Interval:
		b.WriteString(`{"interval":[`)
		for i, bound := range []Expr{x.Start, x.End} {
			if i > 0 {
				b.WriteByte(',')
			}
			var err error
			switch v := bound.(type) {
			case Timestamp:
				writeJSONString(b, formatTimestamp(v.T))
			case Date:
				writeJSONString(b, v.T.Format(time.DateOnly))
			case Property:
				err = writeJSON(b, v)
			case string:
				if v != ".." {
					return fmt.Errorf("interval bound %q is not \"..\"", v)
				}
				writeJSONString(b, v)
			default:
				err = fmt.Errorf("interval bound of type %T", bound)
			}
			if err != nil {
				return err
			}
		}
		b.WriteString("]}")
	case Geometry:
		g, err := x.G.MarshalJSON()
		if err != nil {
			return err
		}
		b.Write(g)
	case BBox:
		b.WriteString(`{"bbox":`)
		if err := writeJSONValue(b, []float64(x)); err != nil {
			return err
		}
		b.WriteByte('}')
	case []Expr:
		return writeJSONArray(b, x)
	case string, float64, bool:
		return writeJSONValue(b, x)
	default:
		return fmt.Errorf("cannot marshal %T", e)
	}
	return nil
}

func writeJSONArray(b *bytes.Buffer, arr []Expr) error {
	b.WriteByte('[')
	for i, a := range arr {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeJSON(b, a); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	_ = writeJSONValue(b, s) // a string always marshals
}

func writeJSONValue(b *bytes.Buffer, v any) error {
	var j bytes.Buffer
	enc := json.NewEncoder(&j)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Write(bytes.TrimSuffix(j.Bytes(), []byte("\n")))
	return nil
}
