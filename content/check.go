package content

import (
	"fmt"
	"regexp"
	"strings"
)

var idRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// checkID reports an id that is not lower-case words joined by dashes; ids
// end up in commands, URLs and database rows.
func (l *loader) checkID(f *file, p, id string) bool {
	if id == "" {
		return false // already reported as missing
	}
	if !idRE.MatchString(id) {
		l.add(f.ValueAt(p), "%s: %q is not a valid id (lower-case letters, digits and dashes)", p, truncate(id, 40))
		return false
	}
	return true
}

func (l *loader) checkNetworks(f *file, nets []*NetworkType, ids map[string]bool) {
	if nets != nil && len(nets) == 0 {
		l.add(f.At("networks"), "networks: needs at least one network type")
	}
	names := map[string]string{} // folded name → id that has it
	for i, n := range nets {
		if n == nil {
			continue
		}
		p := fmt.Sprintf("networks[%d]", i)
		if l.checkID(f, p+".id", n.ID) {
			if ids[n.ID] {
				l.add(f.ValueAt(p+".id"), "%s.id: duplicate network type id %q", p, n.ID)
			}
			ids[n.ID] = true
		}
		if n.Advantages != nil && len(n.Advantages) == 0 {
			l.add(f.At(p+".advantages"), "%s.advantages: needs at least one entry", p)
		}
		if n.Disadvantages != nil && len(n.Disadvantages) == 0 {
			l.add(f.At(p+".disadvantages"), "%s.disadvantages: needs at least one entry", p)
		}
		// The networks command resolves names the way messengers are
		// resolved, so no two types may share one.
		check := func(where, name string) {
			k := Fold(name)
			if k == "" {
				return
			}
			if other, ok := names[k]; ok && other != n.ID {
				l.add(f.ValueAt(where), "%s: %q is already a name of network type %q", where, truncate(name, 40), other)
				return
			}
			names[k] = n.ID
		}
		check(p+".id", n.ID)
		check(p+".name", n.Name.EN)
		check(p+".name", n.Name.FR)
		for j, a := range n.Aliases {
			check(fmt.Sprintf("%s.aliases[%d]", p, j), a)
		}
	}
}

func (l *loader) checkCriteria(f *file, c *Criteria, ids map[string]bool) {
	for _, list := range []struct {
		key string
		cs  []Criterion
	}{{"minimum", c.Minimum}, {"best_case", c.BestCase}} {
		if list.cs != nil && len(list.cs) == 0 {
			l.add(f.At(list.key), "%s: needs at least one criterion", list.key)
		}
		for i, cr := range list.cs {
			p := fmt.Sprintf("%s[%d].id", list.key, i)
			if !l.checkID(f, p, cr.ID) {
				continue
			}
			if ids[cr.ID] {
				l.add(f.ValueAt(p), "%s: duplicate criterion id %q", p, cr.ID)
			}
			ids[cr.ID] = true
		}
	}
}

func (l *loader) checkChanges(f *file, chs []*Change, msgIDs map[string]bool, msgsOK bool) {
	if chs != nil && len(chs) == 0 {
		l.add(f.At("changes"), "changes: needs at least one entry")
	}
	ids := map[string]bool{}
	for i, c := range chs {
		if c == nil {
			continue
		}
		p := fmt.Sprintf("changes[%d]", i)
		if l.checkID(f, p+".id", c.ID) {
			if ids[c.ID] {
				l.add(f.ValueAt(p+".id"), "%s.id: duplicate change id %q", p, c.ID)
			}
			ids[c.ID] = true
			// The id names the entry forever; starting it with the date
			// keeps ids unique and sortable by eye.
			if !c.Date.IsZero() && !strings.HasPrefix(c.ID, c.Date.String()+"-") {
				l.add(f.ValueAt(p+".id"), "%s.id: %q must start with the entry's date (%s-)", p, c.ID, c.Date)
			}
		}
		seen := map[string]bool{}
		for j, id := range c.Messengers {
			mp := fmt.Sprintf("%s.messengers[%d]", p, j)
			switch {
			case id == "":
			case seen[id]:
				l.add(f.ValueAt(mp), "%s: duplicate messenger %q", mp, id)
			case msgsOK && !msgIDs[id]:
				l.add(f.ValueAt(mp), "%s: unknown messenger %q (known: %s)", mp, truncate(id, 40), known(msgIDs))
			}
			seen[id] = true
		}
	}
}
