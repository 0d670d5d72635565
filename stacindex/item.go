package stacindex

// parseItem is a placeholder until the row extraction lands.
func parseItem(b []byte) (struct{}, error) { return struct{}{}, nil }
