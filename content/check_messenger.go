package content

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
)

// nameOwner is the messenger a folded name resolves to, and where it was
// given, for duplicate reports.
type nameOwner struct {
	id  string
	pos Pos
}

// refs are the lookups every card is checked against: the lists it refers
// to, and the names the cards checked so far have claimed.
type refs struct {
	netIDs map[string]bool
	netsOK bool // networks.yaml was read whole: unknown types can be told
	crit   Criteria
	critOK bool // criteria.yaml was read whole: unknown criteria can be told
	names  map[string]nameOwner
}

// messengerChecker checks one card, section by section, against refs.
type messengerChecker struct {
	*loader
	f    *file
	m    *Messenger
	refs *refs
}

func (l *loader) checkMessenger(f *file, m *Messenger, r *refs) {
	mc := messengerChecker{loader: l, f: f, m: m, refs: r}
	// The order is the order problems at one position are listed in.
	mc.fileID()
	mc.names()
	mc.history()
	mc.networkTypes()
	mc.platforms()
	mc.plausible()
	mc.facts()
	mc.criteria()
	mc.links()
}

// fileID: the id is the file's name, so that a card is found by its id.
func (mc *messengerChecker) fileID() {
	f, m := mc.f, mc.m
	base := strings.TrimSuffix(path.Base(f.name), ".yaml")
	if mc.checkID(f, "id", m.ID) && m.ID != base {
		mc.add(f.ValueAt("id"), "id: %q does not match the file name (want %s.yaml or id %q)", m.ID, m.ID, base)
	}
}

// names claims the card's names in refs.names: the id, the display name
// and every alias resolve to this messenger, so none may belong to another
// one. Repeating one's own id or name as an alias is harmless and allowed.
func (mc *messengerChecker) names() {
	f, m, names := mc.f, mc.m, mc.refs.names
	own := map[string]bool{}
	claim := func(where, name string, alias bool) {
		k := Fold(name)
		if k == "" {
			if name != "" {
				mc.add(f.ValueAt(where), "%s: %q has no letters or digits", where, truncate(name, 40))
			}
			return
		}
		if o, ok := names[k]; ok && o.id != m.ID {
			mc.add(f.ValueAt(where), "%s: %q is already a name of %s (%s)", where, truncate(name, 40), o.id, o.pos)
			return
		}
		if alias && own[k] && !(k == Fold(m.ID) || k == Fold(m.Name)) {
			mc.add(f.ValueAt(where), "%s: duplicate alias %q", where, truncate(name, 40))
			return
		}
		own[k] = true
		names[k] = nameOwner{m.ID, f.ValueAt(where)}
	}
	claim("id", m.ID, false)
	claim("name", m.Name, false)
	for i, a := range m.Aliases {
		claim(fmt.Sprintf("aliases[%d]", i), a, true)
	}
}

// history: oldest first, ending where the messenger stands now. It tells
// the steps on Privacy Guides' list, so a messenger never on it has none,
// and every other one has one.
func (mc *messengerChecker) history() {
	f, m := mc.f, mc.m
	switch {
	case m.StatusHistory != nil && len(m.StatusHistory) == 0:
		mc.add(f.At("status_history"), "status_history: needs at least one entry")
	case m.Status == NotListed && f.Has("status_history"):
		mc.add(f.At("status_history"), "status_history: a not-listed messenger has no history on Privacy Guides' list (one removed from it is not-recommended)")
	case m.Status.Listed() && f.Decoded("status") && !f.Has("status_history"):
		mc.add(f.At("status"), "status: a %s messenger needs its status_history on Privacy Guides' list", m.Status)
	}
	for i, h := range m.StatusHistory {
		if h.Status == NotListed {
			p := fmt.Sprintf("status_history[%d].status", i)
			mc.add(f.ValueAt(p), "%s: not-listed is not a step on Privacy Guides' list", p)
		}
	}
	for i := 1; i < len(m.StatusHistory); i++ {
		prev, cur := m.StatusHistory[i-1].Date, m.StatusHistory[i].Date
		if !prev.IsZero() && !cur.IsZero() && cur.Before(prev.Time) {
			p := fmt.Sprintf("status_history[%d].date", i)
			mc.add(f.ValueAt(p), "%s: %s is before the previous entry (%s); list the history oldest first", p, cur, prev)
		}
	}
	if n := len(m.StatusHistory); n > 0 {
		last := m.StatusHistory[n-1].Status
		if last != "" && m.Status != "" && last != m.Status {
			p := fmt.Sprintf("status_history[%d].status", n-1)
			mc.add(f.ValueAt(p), "%s: the last entry is %q but status is %q", p, last, m.Status)
		}
	}
}

// networkTypes: network types refer to networks.yaml.
func (mc *messengerChecker) networkTypes() {
	f, m, netIDs := mc.f, mc.m, mc.refs.netIDs
	seenNet := map[string]bool{}
	for i, t := range m.Network.Types {
		p := fmt.Sprintf("network.types[%d]", i)
		switch {
		case t == "":
		case seenNet[t]:
			mc.add(f.ValueAt(p), "%s: duplicate network type %q", p, t)
		case mc.refs.netsOK && !netIDs[t]:
			mc.add(f.ValueAt(p), "%s: unknown network type %q (known: %s)", p, truncate(t, 40), known(netIDs))
		}
		seenNet[t] = true
	}
}

// platforms: a list, if given, names each platform once.
func (mc *messengerChecker) platforms() {
	f, m := mc.f, mc.m
	if m.Platforms.List != nil && len(m.Platforms.List) == 0 {
		mc.add(f.At("platforms.list"), "platforms.list: needs at least one platform")
	}
	seenPlat := map[Platform]bool{}
	for i, p := range m.Platforms.List {
		if p != "" && seenPlat[p] {
			where := fmt.Sprintf("platforms.list[%d]", i)
			mc.add(f.ValueAt(where), "%s: duplicate platform %q", where, p)
		}
		seenPlat[p] = true
	}
}

// plausible: values the decoder accepts but the card cannot mean.
func (mc *messengerChecker) plausible() {
	f, m := mc.f, mc.m
	if f.Decoded("network.decentralized") && m.Network.Decentralized == NA {
		mc.add(f.ValueAt("network.decentralized"), "network.decentralized: n/a does not apply to a network (use yes, partial, no or unknown)")
	}
	for i, a := range m.Audits {
		p := fmt.Sprintf("audits[%d].year", i)
		if f.Decoded(p) && (a.Year < 1990 || a.Year > 2100) {
			mc.add(f.ValueAt(p), "%s: %d is not a plausible year", p, a.Year)
		}
	}
}

// facts: a partial answer without a note would leave the reader guessing,
// and every known answer has a source.
func (mc *messengerChecker) facts() {
	f, m := mc.f, mc.m
	for _, fc := range []struct {
		path string
		fact Fact
	}{
		{"e2ee.one_to_one", m.E2EE.OneToOne}, {"e2ee.groups", m.E2EE.Groups}, {"e2ee.calls", m.E2EE.Calls},
		{"forward_secrecy", m.ForwardSecrecy}, {"future_secrecy", m.FutureSecrecy},
		{"open_source_server", m.OpenSourceServer}, {"offline", m.Offline}, {"tor", m.Tor},
	} {
		if fc.fact.Value == Partial && fc.fact.Note == nil {
			mc.add(f.At(fc.path), "%s: a partial value needs a note saying what is missing", fc.path)
		}
		mc.needSource(f, fc.path, fc.fact)
	}
}

// criteria: a result for every criterion, and only for criteria.
func (mc *messengerChecker) criteria() {
	f, m, crit := mc.f, mc.m, mc.refs.crit
	if !f.Decoded("criteria") || !mc.refs.critOK {
		return
	}
	all := append(slices.Clone(crit.Minimum), crit.BestCase...)
	ids := map[string]bool{}
	for _, c := range all {
		ids[c.ID] = true
	}
	keys := make([]string, 0, len(m.Criteria))
	for k := range m.Criteria {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(f.At("criteria."+a).Line, f.At("criteria."+b).Line) })
	for _, k := range keys {
		if !ids[k] {
			mc.add(f.At("criteria."+k), "criteria: unknown criterion %q (known: %s)", truncate(k, 40), known(ids))
		}
	}
	for _, c := range all {
		r, ok := m.Criteria[c.ID]
		want, from, mirror := mirrored(m, c.ID)
		if !ok {
			switch {
			case mirror:
				// The card states this fact already: the result is
				// that fact, not a second copy to keep in step.
				if want.Value != "" {
					m.Criteria[c.ID] = want
				}
			case c.ID != "":
				mc.add(f.At("criteria"), "criteria: no result for criterion %q", c.ID)
			}
			continue
		}
		p := "criteria." + c.ID
		if (r.Value == Partial || r.Value == No) && r.Note == nil {
			mc.add(f.At(p), "%s: a %s result needs a note saying why", p, r.Value)
		}
		mc.needSource(f, p, r)
		if mirror && r.Value != want.Value && f.Decoded(from) && f.Decoded(p+".value") {
			mc.add(f.ValueAt(p+".value"), "%s: %s contradicts %s (%s) on the same card; one fact, one value", p, r.Value, from, want.Value)
		}
	}
}

// links: open-source apps link to their code, and a card shown as having
// a "source code" link must have published code to point at.
func (mc *messengerChecker) links() {
	f, m := mc.f, mc.m
	if !f.Decoded("links") || !f.Decoded("criteria") {
		return
	}
	open := m.Criteria["open-source-clients"].Value
	switch {
	case open == Yes && m.Links.Source == "":
		mc.add(f.At("links"), "links.source: the apps are open source (criteria.open-source-clients: yes), so link to their code")
	case open == No && m.Links.Source != "":
		mc.add(f.ValueAt("links.source"), "links.source: the apps' code is not published (criteria.open-source-clients: no); leave the link out")
	}
}

// needSource: every value but unknown says where it can be checked.
func (l *loader) needSource(f *file, path string, fact Fact) {
	if fact.Value != Unknown && fact.Value != "" && fact.Source == "" && f.Decoded(path+".value") {
		l.add(f.At(path), "%s: missing source (only an unknown value may go without one)", path)
	}
}

// mirrored returns the result a criterion has because the card states the
// same fact elsewhere, and where. A card may leave such a criterion out;
// if it writes one, the values must agree.
func mirrored(m *Messenger, criterion string) (Fact, string, bool) {
	switch criterion {
	case "forward-secrecy":
		return m.ForwardSecrecy, "forward_secrecy.value", true
	case "future-secrecy":
		return m.FutureSecrecy, "future_secrecy.value", true
	case "open-source-servers":
		return m.OpenSourceServer, "open_source_server.value", true
	case "decentralized":
		n := m.Network
		return Fact{Value: n.Decentralized, Note: &n.Text, Source: n.Source}, "network.decentralized", true
	case "all-platforms":
		f := Fact{Value: Yes, Note: m.Platforms.Note, Source: m.Platforms.Source}
		for _, p := range []Platform{Android, IOS, Windows, MacOS, Linux} {
			if !slices.Contains(m.Platforms.List, p) {
				f.Value = No
			}
		}
		return f, "platforms.list", true
	}
	return Fact{}, "", false
}
