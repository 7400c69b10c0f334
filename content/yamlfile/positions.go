package yamlfile

// Doc records where the values of a decoded file sit, by path: field names
// joined by dots, list items by [i], map keys like fields
// ("network.types[1]", "criteria.forward-secrecy").
type Doc struct {
	File string
	vals map[string]Pos  // path → where the value starts
	keys map[string]Pos  // path → where its key (or list item) starts
	bad  map[string]bool // paths with a problem of their own
}

func newDoc(file string) *Doc {
	return &Doc{File: file, vals: map[string]Pos{}, keys: map[string]Pos{}, bad: map[string]bool{}}
}

// Has reports whether path was present in the file.
func (d *Doc) Has(path string) bool {
	_, ok := d.vals[path]
	return ok
}

// Decoded reports whether path was present and decoded without a problem
// of its own (problems inside its children do not count).
func (d *Doc) Decoded(path string) bool { return d.Has(path) && !d.bad[path] }

// At returns the best position for a problem about path: its key (or list
// item), else its value, else the start of the file.
func (d *Doc) At(path string) Pos {
	if p, ok := d.keys[path]; ok {
		return p
	}
	if p, ok := d.vals[path]; ok {
		return p
	}
	return Pos{File: d.File, Line: 1, Column: 1}
}

// ValueAt is like At but prefers the value's own position.
func (d *Doc) ValueAt(path string) Pos {
	if p, ok := d.vals[path]; ok {
		return p
	}
	return d.At(path)
}
