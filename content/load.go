package content

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/guidebot/guidebot/content/yamlfile"
)

// The files of a content directory.
const (
	networksFile  = "networks.yaml"
	criteriaFile  = "criteria.yaml"
	changesFile   = "changes.yaml"
	messengersDir = "messengers"
)

// maxFileSize bounds what one file may hold; the real files are a few KiB,
// and an operator's directory should not be able to exhaust memory.
const maxFileSize = 1 << 20

//go:embed data
var embedded embed.FS

var builtin struct {
	once sync.Once
	set  *Set
}

// Builtin returns the content embedded in the binary, loaded once. It panics
// if that content is invalid, which TestBuiltin rules out before a release.
func Builtin() *Set {
	builtin.once.Do(func() {
		s, err := loadEmbedded()
		if err != nil {
			panic("content: the built-in data is invalid:\n" + err.Error())
		}
		builtin.set = s
	})
	return builtin.set
}

func loadEmbedded() (*Set, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	return Load(sub)
}

// LoadDir loads and validates the content directory dir.
func LoadDir(dir string) (*Set, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, Problems{Pos{File: dir}.Problemf("cannot read the content directory: %s", errText(err))}
	} else if !st.IsDir() {
		return nil, Problems{Pos{File: dir}.Problemf("not a directory")}
	}
	return Load(os.DirFS(dir))
}

// errText drops the path fs errors repeat, since the problem already has it.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Load reads and validates a content directory: networks.yaml,
// criteria.yaml, changes.yaml and messengers/<id>.yaml. On any problem it
// returns a nil Set and every problem found, as Problems.
func Load(fsys fs.FS) (set *Set, err error) {
	l := &loader{fsys: fsys}
	// The YAML parser is third-party code fed by operators; a panic in it
	// must become a problem, not take the bot down on reload.
	defer func() {
		if r := recover(); r != nil {
			set = nil
			l.probs = append(l.probs, Pos{File: l.current}.Problemf("internal error while loading: %v", r))
			l.probs.Sort()
			err = l.probs
		}
	}()
	set = l.load()
	if len(l.probs) > 0 {
		l.probs.Sort()
		return nil, l.probs
	}
	set.index()
	return set, nil
}

type loader struct {
	fsys    fs.FS
	probs   Problems
	current string // the file being read, for a recovered panic
}

func (l *loader) add(p Pos, format string, args ...any) {
	l.probs = append(l.probs, p.Problemf(format, args...))
}

// file is one decoded YAML file and where its values are.
type file struct {
	*yamlfile.Doc
	name string
}

// read parses name into v. It returns nil if the file could not be parsed at
// all; field-level problems are recorded and the file is still returned.
func (l *loader) read(name string, v any) *file {
	l.current = name
	f, err := l.fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			l.add(Pos{File: name}, "missing file")
		} else {
			l.add(Pos{File: name}, "cannot read: %s", errText(err))
		}
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	f.Close()
	if err != nil {
		l.add(Pos{File: name}, "cannot read: %s", errText(err))
		return nil
	}
	if len(data) > maxFileSize {
		l.add(Pos{File: name}, "file larger than %d bytes", maxFileSize)
		return nil
	}
	doc, probs := yamlfile.DecodeDoc(name, data, v)
	l.probs = append(l.probs, probs...)
	if doc == nil {
		return nil
	}
	return &file{Doc: doc, name: name}
}

// The top-level shapes of the list files: a mapping with one key leaves room
// to add fields later without breaking old files.
type networksDoc struct {
	Networks []*NetworkType `yaml:"networks"`
}

type changesDoc struct {
	Changes []*Change `yaml:"changes"`
}

func (l *loader) load() *Set {
	set := &Set{}

	// A misnamed file (network.yaml) would otherwise be silently ignored
	// while the expected one is reported missing; name it too.
	if root, err := fs.ReadDir(l.fsys, "."); err == nil {
		for _, e := range root {
			n := e.Name()
			if !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) &&
				n != networksFile && n != criteriaFile && n != changesFile {
				l.add(Pos{File: n}, "unexpected file: the content directory holds %s, %s, %s and %s/", networksFile, criteriaFile, changesFile, messengersDir)
			}
		}
	}

	var nets networksDoc
	nf := l.read(networksFile, &nets)
	var crit Criteria
	cf := l.read(criteriaFile, &crit)
	var chs changesDoc
	chf := l.read(changesFile, &chs)

	type mfile struct {
		m *Messenger
		f *file
	}
	var ms []mfile
	// Ids of messenger files that could not be parsed at all: the change
	// log may still name them, and saying so again would only add noise.
	var unparsed []string
	entries, err := fs.ReadDir(l.fsys, messengersDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			l.add(Pos{File: messengersDir}, "missing directory")
		} else {
			l.add(Pos{File: messengersDir}, "cannot read: %s", errText(err))
		}
	}
	for _, e := range entries {
		name := path.Join(messengersDir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
			// Editor and OS droppings (.DS_Store, .swp) are not content.
		case e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml"):
			l.add(Pos{File: name}, "unexpected file: messengers/ holds only <id>.yaml files")
		default:
			m := &Messenger{}
			if f := l.read(name, m); f != nil {
				ms = append(ms, mfile{m, f})
			} else {
				unparsed = append(unparsed, strings.TrimSuffix(e.Name(), ".yaml"))
			}
		}
	}
	if err == nil && len(ms) == 0 && !slices.ContainsFunc(l.probs, func(p Problem) bool { return strings.HasPrefix(p.File, messengersDir+"/") }) {
		l.add(Pos{File: messengersDir}, "no messenger files")
	}
	l.current = ""

	// Cross-file checks need the ids of each kind; collect them even from
	// files with problems so that one typo does not cascade.
	netIDs := map[string]bool{}
	if nf != nil {
		l.checkNetworks(nf, nets.Networks, netIDs)
		set.Networks = nets.Networks
	}
	critIDs := map[string]bool{}
	if cf != nil {
		l.checkCriteria(cf, &crit, critIDs)
		set.Criteria = crit
	}
	// Only check references against lists that were read whole; a broken
	// networks.yaml would otherwise make every reference look dangling.
	netsOK := nf != nil && nf.Decoded("networks")
	critOK := cf != nil && cf.Decoded("minimum") && cf.Decoded("best_case")
	names := map[string]nameOwner{}
	msgIDs := map[string]bool{}
	for _, mf := range ms {
		l.checkMessenger(mf.f, mf.m, netIDs, netsOK, set.Criteria, critOK, names)
		msgIDs[mf.m.ID] = true
		set.Messengers = append(set.Messengers, mf.m)
	}
	for _, id := range unparsed {
		msgIDs[id] = true
	}
	if chf != nil {
		l.checkChanges(chf, chs.Changes, msgIDs, len(msgIDs) > 0)
		set.Changes = chs.Changes
	}
	return set
}

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

func known(m map[string]bool) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
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

// nameOwner is the messenger a folded name resolves to, and where it was
// given, for duplicate reports.
type nameOwner struct {
	id  string
	pos Pos
}

func (l *loader) checkMessenger(f *file, m *Messenger, netIDs map[string]bool, netsOK bool, crit Criteria, critOK bool, names map[string]nameOwner) {
	base := strings.TrimSuffix(path.Base(f.name), ".yaml")
	if l.checkID(f, "id", m.ID) && m.ID != base {
		l.add(f.ValueAt("id"), "id: %q does not match the file name (want %s.yaml or id %q)", m.ID, m.ID, base)
	}

	// Names: the id, the display name and every alias resolve to this
	// messenger, so none may belong to another one. Repeating one's own id
	// or name as an alias is harmless and allowed.
	own := map[string]bool{}
	claim := func(where, name string, alias bool) {
		k := Fold(name)
		if k == "" {
			if name != "" {
				l.add(f.ValueAt(where), "%s: %q has no letters or digits", where, truncate(name, 40))
			}
			return
		}
		if o, ok := names[k]; ok && o.id != m.ID {
			l.add(f.ValueAt(where), "%s: %q is already a name of %s (%s)", where, truncate(name, 40), o.id, o.pos)
			return
		}
		if alias && own[k] && !(k == Fold(m.ID) || k == Fold(m.Name)) {
			l.add(f.ValueAt(where), "%s: duplicate alias %q", where, truncate(name, 40))
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

	// History: oldest first, ending where the messenger stands now. It
	// tells the steps on Privacy Guides' list, so a messenger never on it
	// has none, and every other one has one.
	switch {
	case m.StatusHistory != nil && len(m.StatusHistory) == 0:
		l.add(f.At("status_history"), "status_history: needs at least one entry")
	case m.Status == NotListed && f.Has("status_history"):
		l.add(f.At("status_history"), "status_history: a not-listed messenger has no history on Privacy Guides' list (one removed from it is not-recommended)")
	case m.Status.Listed() && f.Decoded("status") && !f.Has("status_history"):
		l.add(f.At("status"), "status: a %s messenger needs its status_history on Privacy Guides' list", m.Status)
	}
	for i, h := range m.StatusHistory {
		if h.Status == NotListed {
			p := fmt.Sprintf("status_history[%d].status", i)
			l.add(f.ValueAt(p), "%s: not-listed is not a step on Privacy Guides' list", p)
		}
	}
	for i := 1; i < len(m.StatusHistory); i++ {
		prev, cur := m.StatusHistory[i-1].Date, m.StatusHistory[i].Date
		if !prev.IsZero() && !cur.IsZero() && cur.Before(prev.Time) {
			p := fmt.Sprintf("status_history[%d].date", i)
			l.add(f.ValueAt(p), "%s: %s is before the previous entry (%s); list the history oldest first", p, cur, prev)
		}
	}
	if n := len(m.StatusHistory); n > 0 {
		last := m.StatusHistory[n-1].Status
		if last != "" && m.Status != "" && last != m.Status {
			p := fmt.Sprintf("status_history[%d].status", n-1)
			l.add(f.ValueAt(p), "%s: the last entry is %q but status is %q", p, last, m.Status)
		}
	}

	// Network types refer to networks.yaml.
	seenNet := map[string]bool{}
	for i, t := range m.Network.Types {
		p := fmt.Sprintf("network.types[%d]", i)
		switch {
		case t == "":
		case seenNet[t]:
			l.add(f.ValueAt(p), "%s: duplicate network type %q", p, t)
		case netsOK && !netIDs[t]:
			l.add(f.ValueAt(p), "%s: unknown network type %q (known: %s)", p, truncate(t, 40), known(netIDs))
		}
		seenNet[t] = true
	}

	if m.Platforms.List != nil && len(m.Platforms.List) == 0 {
		l.add(f.At("platforms.list"), "platforms.list: needs at least one platform")
	}
	seenPlat := map[Platform]bool{}
	for i, p := range m.Platforms.List {
		if p != "" && seenPlat[p] {
			where := fmt.Sprintf("platforms.list[%d]", i)
			l.add(f.ValueAt(where), "%s: duplicate platform %q", where, p)
		}
		seenPlat[p] = true
	}

	if f.Decoded("network.decentralized") && m.Network.Decentralized == NA {
		l.add(f.ValueAt("network.decentralized"), "network.decentralized: n/a does not apply to a network (use yes, partial, no or unknown)")
	}
	for i, a := range m.Audits {
		p := fmt.Sprintf("audits[%d].year", i)
		if f.Decoded(p) && (a.Year < 1990 || a.Year > 2100) {
			l.add(f.ValueAt(p), "%s: %d is not a plausible year", p, a.Year)
		}
	}

	// A partial answer without a note would leave the reader guessing.
	for _, fc := range []struct {
		path string
		fact Fact
	}{
		{"e2ee.one_to_one", m.E2EE.OneToOne}, {"e2ee.groups", m.E2EE.Groups}, {"e2ee.calls", m.E2EE.Calls},
		{"forward_secrecy", m.ForwardSecrecy}, {"future_secrecy", m.FutureSecrecy},
		{"open_source_server", m.OpenSourceServer}, {"offline", m.Offline}, {"tor", m.Tor},
	} {
		if fc.fact.Value == Partial && fc.fact.Note == nil {
			l.add(f.At(fc.path), "%s: a partial value needs a note saying what is missing", fc.path)
		}
		l.needSource(f, fc.path, fc.fact)
	}

	// Criteria: a result for every criterion, and only for criteria.
	if f.Decoded("criteria") && critOK {
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
				l.add(f.At("criteria."+k), "criteria: unknown criterion %q (known: %s)", truncate(k, 40), known(ids))
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
					l.add(f.At("criteria"), "criteria: no result for criterion %q", c.ID)
				}
				continue
			}
			p := "criteria." + c.ID
			if (r.Value == Partial || r.Value == No) && r.Note == nil {
				l.add(f.At(p), "%s: a %s result needs a note saying why", p, r.Value)
			}
			l.needSource(f, p, r)
			if mirror && r.Value != want.Value && f.Decoded(from) && f.Decoded(p+".value") {
				l.add(f.ValueAt(p+".value"), "%s: %s contradicts %s (%s) on the same card; one fact, one value", p, r.Value, from, want.Value)
			}
		}
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
