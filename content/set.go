package content

// Set is one loaded, validated content set. It is immutable once built, so it
// can be shared by every goroutine and swapped whole on reload.
type Set struct {
	Messengers []*Messenger    // best status first, then by name
	Networks   []*NetworkType  // in file order
	Criteria   Criteria
	Changes    []*Change // newest first
}

// Builtin returns the content embedded in the binary.
// TEMPORARY: returns an empty set until the loader lands.
func Builtin() *Set { return &Set{} }
