package content

import (
	"slices"
	"strings"
)

// Set is one loaded, validated content set. It is immutable once built, so it
// can be shared by every goroutine and swapped whole on reload.
type Set struct {
	Messengers []*Messenger   // best status first, then in Privacy Guides' order, then by name
	Networks   []*NetworkType // in file order
	Criteria   Criteria
	Changes    []*Change // newest first

	byName    map[string]*Messenger   // folded id, name and aliases → messenger
	netByName map[string]*NetworkType // folded id, names and aliases → network type
}

// index sorts the set and builds its look-up tables. The loader calls it once
// every file has been read.
func (s *Set) index() {
	slices.SortStableFunc(s.Messengers, func(a, b *Messenger) int {
		if d := a.Status.Rank() - b.Status.Rank(); d != 0 {
			return d
		}
		if d := listPosition(a) - listPosition(b); d != 0 {
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
	s.netByName = make(map[string]*NetworkType)
	for _, n := range s.Networks {
		for _, name := range append([]string{n.ID, n.Name.EN, n.Name.FR}, n.Aliases...) {
			if f := Fold(name); s.netByName[f] == nil { // the first declared wins
				s.netByName[f] = n
			}
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
func (s *Set) Network(name string) *NetworkType { return s.netByName[Fold(name)] }

// Lookup returns the messenger whose id, name or alias matches name (case
// and accents ignored), or nil. Unlike Resolve it looks for no near miss,
// which only an unknown name needs.
func (s *Set) Lookup(name string) *Messenger { return s.byName[Fold(name)] }

// Resolve finds a messenger by id, name or alias, ignoring case and accents.
// When nothing matches, suggestion is the closest known name, if any is
// close: within about one typo per four letters, or a prefix of three
// letters or more.
func (s *Set) Resolve(name string) (m *Messenger, suggestion *Messenger) {
	f := Fold(name)
	if m := s.byName[f]; m != nil {
		return m, nil
	}
	best, bestDist := (*Messenger)(nil), 0
	for n, m := range s.byName {
		limit := max(1, len(n)/4)
		d := Distance(f, n, limit)
		if len(f) >= 3 && strings.HasPrefix(n, f) {
			d = 1
		}
		if d <= limit && (best == nil || d < bestDist || (d == bestDist && m.Name < best.Name)) {
			best, bestDist = m, d
		}
	}
	return nil, best
}

// privacyGuidesOrder is the order in which Privacy Guides lists the
// messengers it recommends (Molly under Signal); it has no scores, and the
// bot adds no ranking of its own.
var privacyGuidesOrder = []string{"signal", "molly", "simplex", "briar"}

func listPosition(m *Messenger) int {
	if i := slices.Index(privacyGuidesOrder, m.ID); i >= 0 {
		return i
	}
	return len(privacyGuidesOrder)
}
