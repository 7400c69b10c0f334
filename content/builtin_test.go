package content

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guidebot/guidebot/content/yamlfile"
)

func TestBuiltinLoads(t *testing.T) {
	// Builtin panics on invalid data; load it the same way without the
	// panic so that a failure lists every problem.
	if _, err := loadEmbedded(); err != nil {
		t.Fatalf("the built-in content is invalid:\n%v", err)
	}
	if first, second := Builtin(), Builtin(); first != second {
		t.Error("Builtin loads the data more than once")
	}
}

func builtinSet(t *testing.T) *Set {
	t.Helper()
	s, err := loadEmbedded()
	if err != nil {
		t.Fatalf("the built-in content is invalid:\n%v", err)
	}
	return s
}

func mustMessenger(t *testing.T, s *Set, id string) *Messenger {
	t.Helper()
	m := s.Messenger(id)
	if m == nil {
		t.Fatalf("no messenger %q", id)
	}
	return m
}

func TestBuiltinMessengers(t *testing.T) {
	s := builtinSet(t)
	var ids []string
	for _, m := range s.Messengers {
		ids = append(ids, m.ID)
	}
	// Best status first, then in Privacy Guides' order, then by name.
	want := []string{"signal", "molly", "simplex", "briar", "element", "session",
		"conversations", "deltachat", "facebook-messenger", "imessage", "telegram", "threema", "whatsapp", "wire"}
	if !slices.Equal(ids, want) {
		t.Errorf("messengers = %v, want %v", ids, want)
	}
	status := map[string]Status{
		"signal": Recommended, "molly": Recommended, "simplex": Recommended, "briar": Recommended,
		"element": NotRecommended, "session": NotRecommended,
	}
	for _, id := range want[6:] {
		status[id] = NotListed
	}
	for id, st := range status {
		if m := mustMessenger(t, s, id); m.Status != st {
			t.Errorf("%s: status %s, want %s", id, m.Status, st)
		}
	}
}

// TestBuiltinKeyFacts pins the facts users check first (see
// reference/facts.md); a wrong one here misleads people about their safety.
func TestBuiltinKeyFacts(t *testing.T) {
	s := builtinSet(t)
	fact := func(id, what string, got Fact, want Support) {
		t.Helper()
		if got.Value != want {
			t.Errorf("%s %s = %s, want %s", id, what, got.Value, want)
		}
	}
	signal, molly, element := mustMessenger(t, s, "signal"), mustMessenger(t, s, "molly"), mustMessenger(t, s, "element")
	simplex, briar, session := mustMessenger(t, s, "simplex"), mustMessenger(t, s, "briar"), mustMessenger(t, s, "session")

	fact("session", "forward secrecy", session.ForwardSecrecy, No)
	fact("session", "future secrecy", session.FutureSecrecy, No)
	fact("briar", "forward secrecy", briar.ForwardSecrecy, Yes)
	fact("signal", "forward secrecy", signal.ForwardSecrecy, Yes)
	fact("molly", "forward secrecy", molly.ForwardSecrecy, Yes)
	fact("simplex", "forward secrecy", simplex.ForwardSecrecy, Yes)
	fact("element", "forward secrecy", element.ForwardSecrecy, No)
	fact("briar", "calls", briar.E2EE.Calls, NA)
	fact("briar", "offline", briar.Offline, Yes)
	fact("briar", "tor", briar.Tor, Yes)
	fact("signal", "offline", signal.Offline, No)
	fact("session", "groups", session.E2EE.Groups, Partial) // open groups are not encrypted
	fact("element", "groups", element.E2EE.Groups, Partial) // public rooms are not encrypted by default
	fact("element", "calls", element.E2EE.Calls, Yes)       // group calls E2EE since Oct 2024

	if !strings.Contains(element.ForwardSecrecy.Note.EN, "theory") {
		t.Errorf("element forward secrecy note should say it is only theoretical: %q", element.ForwardSecrecy.Note.EN)
	}

	ids := map[string]Identifier{"signal": PhoneNumber, "molly": PhoneNumber, "element": Username, "simplex": NoID, "briar": NoID, "session": RandomID}
	for id, kind := range ids {
		if m := mustMessenger(t, s, id); m.Identifier.Kind != kind {
			t.Errorf("%s identifier = %s, want %s", id, m.Identifier.Kind, kind)
		}
	}

	nets := map[string][]string{
		"signal": {"centralized"}, "molly": {"centralized"}, "element": {"federated"},
		"simplex": {}, "briar": {"p2p", "anonymous-routing"}, "session": {"anonymous-routing"},
	}
	decentralized := map[string]Support{"signal": No, "molly": No, "element": Yes, "simplex": Partial, "briar": Yes, "session": Yes}
	for id, types := range nets {
		m := mustMessenger(t, s, id)
		if !slices.Equal(m.Network.Types, types) {
			t.Errorf("%s network types = %v, want %v", id, m.Network.Types, types)
		}
		if m.Network.Decentralized != decentralized[id] {
			t.Errorf("%s decentralized = %v", id, m.Network.Decentralized)
		}
	}

	plats := map[string][]Platform{
		"molly": {Android},
		"briar": {Android, Windows, Linux},
	}
	for id, want := range plats {
		if got := mustMessenger(t, s, id).Platforms.List; !slices.Equal(got, want) {
			t.Errorf("%s platforms = %v, want %v", id, got, want)
		}
	}
	for _, p := range []Platform{IOS, MacOS} {
		if slices.Contains(briar.Platforms.List, p) {
			t.Errorf("briar has no %s app", p)
		}
	}
	// SimpleX has had desktop apps since 2023: "Android and iOS only" is outdated.
	for _, p := range []Platform{Android, IOS, Windows, MacOS, Linux} {
		if !slices.Contains(simplex.Platforms.List, p) {
			t.Errorf("simplex lacks %s", p)
		}
	}
}

func TestBuiltinHistory(t *testing.T) {
	s := builtinSet(t)
	type step struct {
		date   string
		status Status
	}
	want := map[string][]step{
		"element": {{"2022-11-25", Recommended}, {"2023-02-16", Additional}, {"2025-05-10", NotRecommended}},
		"session": {{"2022-11-25", Recommended}, {"2023-02-16", Additional}, {"2025-05-16", NotRecommended}},
		"molly":   {{"2024-08-25", Recommended}},
		"simplex": {{"2022-11-25", Recommended}},
	}
	for id, steps := range want {
		var got []step
		for _, h := range mustMessenger(t, s, id).StatusHistory {
			got = append(got, step{h.Date.String(), h.Status})
		}
		if !slices.Equal(got, steps) {
			t.Errorf("%s history = %v, want %v", id, got, steps)
		}
	}
	// Every change of status after the first is in the change log, so that
	// rooms are told about it.
	for _, m := range s.Messengers {
		if !m.Status.Listed() {
			continue // never on the list: no history, nothing to announce
		}
		for _, h := range m.StatusHistory[1:] {
			if !slices.ContainsFunc(s.Changes, func(c *Change) bool {
				return c.Date.Equal(h.Date.Time) && slices.Contains(c.Messengers, m.ID)
			}) {
				t.Errorf("%s: no change-log entry for %s on %s", m.ID, h.Status, h.Date)
			}
		}
	}
}

func TestBuiltinChanges(t *testing.T) {
	s := builtinSet(t)
	if got, want := s.Version(), "2025-12-01-session-protocol-v2"; got != want {
		t.Errorf("Version = %q, want %q", got, want)
	}
	for i := 1; i < len(s.Changes); i++ {
		if s.Changes[i].Date.After(s.Changes[i-1].Date.Time) {
			t.Errorf("changes not newest first at %s", s.Changes[i].ID)
		}
	}
	for _, id := range []string{
		"2022-11-25-simplex-added",
		"2023-02-16-element-session-additional",
		"2023-02-16-briar-main",
		"2023-10-05-simplex-desktop",
		"2024-02-20-criteria-2024",
		"2024-08-25-molly-added",
		"2024-10-24-element-group-calls",
		"2025-05-10-element-moved",
		"2025-05-16-session-removed",
		"2025-10-16-simplex-flathub",
		"2025-12-01-session-protocol-v2",
	} {
		if !slices.ContainsFunc(s.Changes, func(c *Change) bool { return c.ID == id }) {
			t.Errorf("no change %q", id)
		}
	}
}

func TestBuiltinCriteria(t *testing.T) {
	s := builtinSet(t)
	if got := s.Criteria.Version.String(); got != "2025-05-16" {
		t.Errorf("criteria version %s", got)
	}
	all := append(slices.Clone(s.Criteria.Minimum), s.Criteria.BestCase...)
	if !slices.ContainsFunc(s.Criteria.Minimum, func(c Criterion) bool { return c.ID == "forward-secrecy" }) {
		t.Error("forward secrecy is a minimum requirement since 2025-05-16")
	}
	for _, m := range s.Messengers {
		if len(m.Criteria) != len(all) {
			t.Errorf("%s has %d criteria results, want %d", m.ID, len(m.Criteria), len(all))
		}
		for _, c := range all {
			r, ok := m.Criteria[c.ID]
			if !ok {
				t.Errorf("%s: no result for %s", m.ID, c.ID)
			}
			if (r.Value == No || r.Value == Partial) && (r.Note == nil || r.Note.EN == "" || r.Note.FR == "") {
				t.Errorf("%s: %s is %s without a note", m.ID, c.ID, r.Value)
			}
		}
		// A recommended messenger fails no minimum requirement.
		if m.Status == Recommended {
			for _, c := range s.Criteria.Minimum {
				if m.Criteria[c.ID].Value == No {
					t.Errorf("%s is recommended but fails %s", m.ID, c.ID)
				}
			}
		}
		// The criteria results agree with the facts they summarize.
		agree := func(crit string, ok bool) {
			t.Helper()
			if got := m.Criteria[crit].Value == Yes; got != ok {
				t.Errorf("%s: criterion %s = %s, but the facts say %v", m.ID, crit, m.Criteria[crit].Value, ok)
			}
		}
		agree("forward-secrecy", m.ForwardSecrecy.Value == Yes)
		agree("future-secrecy", m.FutureSecrecy.Value == Yes)
		agree("decentralized", m.Network.Decentralized == Yes)
		if m.Status.Listed() {
			agree("no-personal-identifiers", true) // every messenger Privacy Guides lists can keep identifiers from contacts
		}
		five := []Platform{Linux, MacOS, Windows, Android, IOS}
		agree("all-platforms", !slices.ContainsFunc(five, func(p Platform) bool { return !slices.Contains(m.Platforms.List, p) }))
	}
	// The removals the change log explains.
	if v := mustMessenger(t, s, "session").Criteria["forward-secrecy"].Value; v != No {
		t.Errorf("session forward-secrecy criterion = %s", v)
	}
	if v := mustMessenger(t, s, "element").Criteria["forward-secrecy"].Value; v != No {
		t.Errorf("element forward-secrecy criterion = %s", v)
	}
}

func TestBuiltinNetworks(t *testing.T) {
	s := builtinSet(t)
	var ids []string
	for _, n := range s.Networks {
		ids = append(ids, n.ID)
		if len(n.Advantages) == 0 || len(n.Disadvantages) == 0 {
			t.Errorf("%s: advantages and disadvantages are required", n.ID)
		}
	}
	if want := []string{"centralized", "federated", "p2p", "anonymous-routing"}; !slices.Equal(ids, want) {
		t.Errorf("networks = %v, want %v", ids, want)
	}
	for name, id := range map[string]string{"peer-to-peer": "p2p", "Pair-à-pair": "p2p", "Fédéré": "federated", "routage anonyme": "anonymous-routing", "centralisé": "centralized"} {
		if n := s.Network(name); n == nil || n.ID != id {
			t.Errorf("Network(%q) = %v, want %s", name, n, id)
		}
	}
}

var (
	textType = reflect.TypeFor[Text]()
	factType = reflect.TypeFor[Fact]()
	dateType = reflect.TypeFor[Date]()
	urlType  = reflect.TypeFor[URL]()
)

// TestBuiltinTexts walks every value of the data set: each text has both
// languages and is translated, each URL is https.
func TestBuiltinTexts(t *testing.T) {
	s := builtinSet(t)
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			if v.Type() == textType {
				tx := v.Interface().(Text)
				if tx.EN == "" || tx.FR == "" {
					t.Errorf("%s: missing a language: %+v", path, tx)
				}
				if len(tx.EN) > 25 && tx.EN == tx.FR {
					t.Errorf("%s: French text is the English one: %q", path, tx.EN)
				}
				for _, s := range []string{tx.EN, tx.FR} {
					if strings.Contains(s, "  ") || strings.TrimSpace(s) != s {
						t.Errorf("%s: stray spaces in %q", path, s)
					}
				}
				return
			}
			if v.Type() == dateType {
				if v.Interface().(Date).IsZero() {
					t.Errorf("%s: zero date", path)
				}
				return
			}
			if v.Type() == factType {
				// No source says an unknown: it may go without one.
				if f := v.Interface().(Fact); f.Value == Unknown && f.Source == "" {
					if f.Note != nil {
						walk(reflect.ValueOf(f.Note), path+".Note")
					}
					return
				}
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i), path+"."+v.Type().Field(i).Name)
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), path+"["+strconv.Itoa(i)+"]")
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k), path+"["+k.String()+"]")
			}
		case reflect.String:
			if v.Type() == urlType {
				u := v.String()
				if (strings.HasSuffix(path, ".Links.Docs") || strings.HasSuffix(path, ".Links.Source")) && u == "" { // optional links
					return
				}
				if yamlfile.CheckURL(u) != "" || !strings.HasPrefix(u, "https://") {
					t.Errorf("%s: %q is not an https URL", path, u)
				}
			}
		}
	}
	walk(reflect.ValueOf(s.Messengers), "messengers")
	walk(reflect.ValueOf(s.Networks), "networks")
	walk(reflect.ValueOf(s.Criteria), "criteria")
	walk(reflect.ValueOf(s.Changes), "changes")

	for _, m := range s.Messengers {
		// Cards are reviewed together: one left behind by a month is stale.
		if newest := s.Reviewed().Time; m.Reviewed.IsZero() || newest.Sub(m.Reviewed.Time) > 31*24*time.Hour {
			t.Errorf("%s reviewed %s, the newest card %s", m.ID, m.Reviewed, s.Reviewed())
		}
		if m.Links.Docs == "" {
			t.Errorf("%s has no docs link", m.ID)
		}
		if len(m.Caveats) == 0 || len(m.Aliases) == 0 {
			t.Errorf("%s: caveats and aliases should be filled", m.ID)
		}
		// Every messenger Privacy Guides lists has been reviewed; one it
		// does not list may have no published review, which its card says.
		if m.Status.Listed() && len(m.Audits) == 0 {
			t.Errorf("%s has no audit", m.ID)
		}
	}
}
