package content

import (
	"slices"
)

// Need is something a person may require of a messenger, as understood by
// the recommend command. The list is declared once, here, and the command's
// help and validation are generated from it.
type Need struct {
	ID      string
	FR      string   // the French name, often the same word
	Aliases []string // more spellings; all names are compared folded
	Name    Text     // what the need means, for help
	Fails   Text     // why a messenger that misses it is left out
	meets   func(*Messenger) bool
}

// Meets reports whether m meets the need.
func (n *Need) Meets(m *Messenger) bool { return n.meets(m) }

func onPlatform(ps ...Platform) func(*Messenger) bool {
	return func(m *Messenger) bool {
		return slices.ContainsFunc(ps, func(p Platform) bool { return slices.Contains(m.Platforms.List, p) })
	}
}

func hasNetwork(id string) func(*Messenger) bool {
	return func(m *Messenger) bool { return slices.Contains(m.Network.Types, id) }
}

func fact(get func(*Messenger) Fact, ok ...Support) func(*Messenger) bool {
	return func(m *Messenger) bool { return slices.Contains(ok, get(m).Value) }
}

// Needs lists every need recommend understands, in help order.
var Needs = []*Need{
	{ID: "no-phone", FR: "sans-telephone", Aliases: []string{"nophone", "no-phone-number"},
		Name:  Text{EN: "no phone number needed to sign up", FR: "pas de numéro de téléphone pour s'inscrire"},
		Fails: Text{EN: "needs a phone number", FR: "exige un numéro de téléphone"},
		meets: func(m *Messenger) bool { return m.Identifier.Kind != PhoneNumber }},
	{ID: "android", FR: "android", Aliases: nil,
		Name:  Text{EN: "an Android app", FR: "une application Android"},
		Fails: Text{EN: "no Android app", FR: "pas d'application Android"},
		meets: onPlatform(Android)},
	{ID: "ios", FR: "ios", Aliases: []string{"iphone"},
		Name:  Text{EN: "an iOS app", FR: "une application iOS"},
		Fails: Text{EN: "no iOS app", FR: "pas d'application iOS"},
		meets: onPlatform(IOS)},
	{ID: "windows", FR: "windows", Aliases: []string{"pc"},
		Name:  Text{EN: "a Windows app", FR: "une application Windows"},
		Fails: Text{EN: "no Windows app", FR: "pas d'application Windows"},
		meets: onPlatform(Windows)},
	{ID: "macos", FR: "macos", Aliases: []string{"mac", "osx"},
		Name:  Text{EN: "a macOS app", FR: "une application macOS"},
		Fails: Text{EN: "no macOS app", FR: "pas d'application macOS"},
		meets: onPlatform(MacOS)},
	{ID: "linux", FR: "linux", Aliases: []string{"gnu-linux"},
		Name:  Text{EN: "a Linux app", FR: "une application Linux"},
		Fails: Text{EN: "no Linux app", FR: "pas d'application Linux"},
		meets: onPlatform(Linux)},
	{ID: "desktop", FR: "ordinateur", Aliases: []string{"bureau"},
		Name:  Text{EN: "a desktop app (Windows, macOS or Linux)", FR: "une application pour ordinateur (Windows, macOS ou Linux)"},
		Fails: Text{EN: "no desktop app", FR: "pas d'application pour ordinateur"},
		meets: onPlatform(Windows, MacOS, Linux)},
	{ID: "p2p", FR: "pair-a-pair", Aliases: []string{"peer-to-peer"},
		Name:  Text{EN: "a peer-to-peer network", FR: "un réseau pair-à-pair"},
		Fails: Text{EN: "not peer-to-peer", FR: "pas pair-à-pair"},
		meets: hasNetwork("p2p")},
	{ID: "federated", FR: "federe", Aliases: []string{"federation"},
		Name:  Text{EN: "a federated network (many servers, like email)", FR: "un réseau fédéré (plusieurs serveurs, comme le courriel)"},
		Fails: Text{EN: "not federated", FR: "pas fédéré"},
		meets: hasNetwork("federated")},
	{ID: "decentralized", FR: "decentralise", Aliases: []string{"decentralised"},
		Name:  Text{EN: "no single operator runs the network", FR: "aucun opérateur unique ne gère le réseau"},
		Fails: Text{EN: "centralized: one operator runs the network", FR: "centralisé : un seul opérateur gère le réseau"},
		meets: func(m *Messenger) bool { return m.Network.Decentralized == Yes || m.Network.Decentralized == Partial }},
	{ID: "tor", FR: "tor", Aliases: []string{"onion"},
		Name:  Text{EN: "can route through Tor", FR: "peut passer par Tor"},
		Fails: Text{EN: "no Tor routing", FR: "pas de routage par Tor"},
		meets: fact(func(m *Messenger) Fact { return m.Tor }, Yes, Partial)},
	{ID: "offline", FR: "hors-ligne", Aliases: []string{"sans-internet", "mesh"},
		Name:  Text{EN: "works without internet (Wi-Fi or Bluetooth nearby)", FR: "fonctionne sans internet (Wi-Fi ou Bluetooth à proximité)"},
		Fails: Text{EN: "needs internet", FR: "exige internet"},
		meets: fact(func(m *Messenger) Fact { return m.Offline }, Yes)},
	{ID: "forward-secrecy", FR: "confidentialite-persistante", Aliases: []string{"pfs", "fs"},
		Name:  Text{EN: "forward secrecy", FR: "confidentialité persistante"},
		Fails: Text{EN: "no forward secrecy", FR: "pas de confidentialité persistante"},
		meets: fact(func(m *Messenger) Fact { return m.ForwardSecrecy }, Yes)},
	{ID: "groups", FR: "groupes", Aliases: []string{"group"},
		Name:  Text{EN: "end-to-end encrypted group chats", FR: "discussions de groupe chiffrées de bout en bout"},
		Fails: Text{EN: "no encrypted groups", FR: "pas de groupes chiffrés"},
		meets: fact(func(m *Messenger) Fact { return m.E2EE.Groups }, Yes, Partial)},
	{ID: "calls", FR: "appels", Aliases: []string{"call"},
		Name:  Text{EN: "end-to-end encrypted voice and video calls", FR: "appels audio et vidéo chiffrés de bout en bout"},
		Fails: Text{EN: "no encrypted calls", FR: "pas d'appels chiffrés"},
		meets: fact(func(m *Messenger) Fact { return m.E2EE.Calls }, Yes, Partial)},
	{ID: "open-source-server", FR: "serveur-libre", Aliases: []string{"open-server"},
		Name:  Text{EN: "open-source server (or no server at all)", FR: "serveur libre (ou aucun serveur)"},
		Fails: Text{EN: "server not open source", FR: "serveur non libre"},
		meets: fact(func(m *Messenger) Fact { return m.OpenSourceServer }, Yes, NA)},
}

// needByName maps every folded name of every need to it.
var needByName = func() map[string]*Need {
	m := make(map[string]*Need)
	for _, n := range Needs {
		for _, name := range append([]string{n.ID, n.FR}, n.Aliases...) {
			m[Fold(name)] = n
		}
	}
	return m
}()

// FindNeed returns the need whose id, French name or alias matches name
// (case and accents ignored), or nil.
func FindNeed(name string) *Need { return needByName[Fold(name)] }

// SuggestNeed returns the need whose name is within a typo or two of name
// (one for short names), or nil.
func SuggestNeed(name string) *Need {
	f := Fold(name)
	if len(f) < 3 {
		return nil
	}
	limit := 1
	if len(f) >= 7 {
		limit = 2
	}
	var best *Need
	bestD, bestName := limit+1, ""
	for n, need := range needByName {
		if d := Distance(f, n, limit); d < bestD || (d == bestD && d <= limit && n < bestName) {
			best, bestD, bestName = need, d, n
		}
	}
	return best
}

// NameIn is how the need is written in lang.
func (n *Need) NameIn(lang Lang) string {
	if lang == FR {
		return n.FR
	}
	return n.ID
}

// Left is a messenger that recommend leaves out, and why.
type Left struct {
	Messenger *Messenger
	Failed    []*Need // the needs it misses; empty when it meets them all but is no longer recommended
}

// Recommend returns the messengers Privacy Guides recommends (status
// recommended or additional) that meet every need, in Privacy Guides'
// order, which is kept here only; and every other messenger, in the
// content's order, with the needs it misses.
func (s *Set) Recommend(needs []*Need) (fit []*Messenger, left []Left) {
	// It runs per message: one array holds every messenger's misses.
	missed := make([]*Need, 0, len(needs)*len(s.Messengers))
	fit = make([]*Messenger, 0, len(s.Messengers))
	left = make([]Left, 0, len(s.Messengers))
	for _, m := range s.Messengers {
		start := len(missed)
		for _, n := range needs {
			if !n.Meets(m) {
				missed = append(missed, n)
			}
		}
		var failed []*Need
		if len(missed) > start {
			failed = missed[start:len(missed):len(missed)]
		}
		if len(failed) == 0 && m.Status.Picked() {
			fit = append(fit, m)
		} else {
			left = append(left, Left{Messenger: m, Failed: failed})
		}
	}
	// No ranking of our own: fit keeps the set's order, Privacy Guides'.
	return fit, left
}

// BestCaseMet counts the best-case criteria m fully meets.
func (s *Set) BestCaseMet(m *Messenger) int {
	n := 0
	for _, c := range s.Criteria.BestCase {
		if m.Criteria[c.ID].Value == Yes {
			n++
		}
	}
	return n
}
