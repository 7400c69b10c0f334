package content

import (
	"slices"
	"strings"
)

// Set is one loaded, validated content set. It is immutable once built, so it
// can be shared by every goroutine and swapped whole on reload.
type Set struct {
	Messengers []*Messenger   // best status first, then by name
	Networks   []*NetworkType // in file order
	Criteria   Criteria
	Changes    []*Change // newest first

	byName map[string]*Messenger // folded id, name and aliases → messenger
}

// index sorts the set and builds its look-up tables. The loader calls it once
// every file has been read.
func (s *Set) index() {
	slices.SortStableFunc(s.Messengers, func(a, b *Messenger) int {
		if d := a.Status.Rank() - b.Status.Rank(); d != 0 {
			return d
		}
		return strings.Compare(Fold(a.Name), Fold(b.Name))
	})
	slices.SortStableFunc(s.Changes, func(a, b *Change) int {
		if c := b.Date.Compare(a.Date.Time); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	s.byName = make(map[string]*Messenger)
	for _, m := range s.Messengers {
		for _, n := range append([]string{m.ID, m.Name}, m.Aliases...) {
			s.byName[Fold(n)] = m
		}
	}
}

// Version is the content version: the id of the newest change-log entry.
func (s *Set) Version() string {
	if len(s.Changes) == 0 {
		return "none"
	}
	return s.Changes[0].ID
}

// Reviewed is the newest review date of any messenger.
func (s *Set) Reviewed() Date {
	var d Date
	for _, m := range s.Messengers {
		if m.Reviewed.After(d.Time) {
			d = m.Reviewed
		}
	}
	return d
}

// Messenger returns the messenger with the given id, or nil.
func (s *Set) Messenger(id string) *Messenger {
	for _, m := range s.Messengers {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// Network returns the network type whose id, name or alias matches name
// (case and accents ignored), or nil.
func (s *Set) Network(name string) *NetworkType {
	f := Fold(name)
	for _, n := range s.Networks {
		if Fold(n.ID) == f || Fold(n.Name.EN) == f || Fold(n.Name.FR) == f || slices.ContainsFunc(n.Aliases, func(a string) bool { return Fold(a) == f }) {
			return n
		}
	}
	return nil
}

// Resolve finds a messenger by id, name or alias, ignoring case and accents.
// When nothing matches, suggestion is the closest known name, if any is close.
func (s *Set) Resolve(name string) (m *Messenger, suggestion *Messenger) {
	f := Fold(name)
	if m := s.byName[f]; m != nil {
		return m, nil
	}
	best, bestDist := (*Messenger)(nil), 0
	for n, m := range s.byName {
		// Allow about one typo per four letters, at least one.
		limit := max(1, len(n)/4)
		d := distance(f, n)
		if prefix := strings.HasPrefix(n, f) && len(f) >= 3; prefix {
			d = 1
		}
		if d <= limit && (best == nil || d < bestDist || (d == bestDist && m.Name < best.Name)) {
			best, bestDist = m, d
		}
	}
	return nil, best
}

// distance is the Damerau–Levenshtein (optimal string alignment) distance
// between a and b, counted in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 20 // no name is that long; spare the quadratic work
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
