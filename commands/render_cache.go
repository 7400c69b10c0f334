package commands

import (
	"html"
	"strings"
	"time"

	"github.com/guidebot/guidebot/content"
)

// prefixMark stands for the room's prefix in answers rendered once for every
// room; withPrefix puts the real one in. No content or catalog string holds
// a NUL byte.
const prefixMark = "\x00"

// state is one content set with everything rendered from it that does not
// depend on the room: the hot path mostly copies these.
type state struct {
	set  *content.Set
	opts *options
	nets map[string]*content.NetworkType
	// trackStart is the oldest date in any status history: the first page
	// version tracked, before which nothing is known.
	trackStart time.Time
	langs      [2]langState
}

// langState holds the answers rendered in one language.
type langState struct {
	lang     content.Lang
	cards    map[string]kept // messenger id → card
	list     kept
	networks kept
	network  map[string]kept // network type id → its part of networks
	criteria kept
	about    kept
	general  kept // recommend without needs
	help     kept
	helpCmd  map[*Command]kept
	changes  []kept // changes N, for N from 1 to the number of entries (at least 1)
	table    *compareTable
	fit      map[string]frag // recommend: messenger id → why it fits (status, best case, summary)
	status   map[string]frag // messenger id → its status line
	fails    map[*content.Need]frag
}

// frag is a piece of an answer rendered once, in both bodies.
type frag struct{ p, h string }

// fragment renders a piece with write.
func fragment(lang content.Lang, write func(o *out)) frag {
	o := newOut(lang, prefixMark, 256)
	write(&o)
	return frag{string(o.p), string(o.h)}
}

// frag writes a piece rendered once.
func (o *out) frag(f frag) { o.raw(f.p, f.h) }

// kept is an answer rendered once: with prefixMark for any room, and ready
// to send for the rooms that keep the default prefix, nearly all of them.
type kept struct{ marked, ready Reply }

func (st *state) keep(r Reply) kept { return kept{r, withPrefix(r, st.opts.prefix)} }

func newState(set *content.Set, opts *options) *state {
	st := &state{
		set:  set,
		opts: opts,
		nets: make(map[string]*content.NetworkType),
	}
	for _, m := range set.Messengers {
		if len(m.StatusHistory) > 0 {
			if d := m.StatusHistory[0].Date.Time; st.trackStart.IsZero() || d.Before(st.trackStart) {
				st.trackStart = d
			}
		}
	}
	for _, n := range set.Networks {
		st.nets[n.ID] = n
	}
	for i, l := range content.Langs {
		st.langs[i] = st.render(l)
	}
	return st
}

func (st *state) lang(l content.Lang) *langState {
	if l == content.FR {
		return &st.langs[1]
	}
	return &st.langs[0]
}

// render renders the room-independent answers in lang.
func (st *state) render(lang content.Lang) langState {
	ls := langState{
		lang:    lang,
		cards:   make(map[string]kept, len(st.set.Messengers)),
		network: make(map[string]kept, len(st.set.Networks)),
		helpCmd: make(map[*Command]kept, len(commandList)),
	}
	for _, m := range st.set.Messengers {
		o := newOut(lang, prefixMark, 2048)
		st.card(&o, m)
		ls.cards[m.ID] = st.keep(o.reply())
	}
	ls.list = st.keep(st.renderList(lang))
	ls.networks = st.keep(st.renderNetworks(lang, nil))
	for _, n := range st.set.Networks {
		ls.network[n.ID] = st.keep(st.renderNetworks(lang, n))
	}
	ls.criteria = st.keep(st.renderCriteria(lang))
	ls.about = st.keep(st.renderAbout(lang))
	st.recommendFrags(&ls)
	ls.general = st.keep(st.renderRecommend(&ls, prefixMark, nil))
	ls.help = st.keep(st.renderHelp(lang))
	for _, c := range commandList {
		ls.helpCmd[c] = st.keep(st.renderHelpCmd(lang, c))
	}
	ls.table = st.compareTable(lang)
	for n := 1; n == 1 || n <= min(len(st.set.Changes), maxChanges); n++ {
		ls.changes = append(ls.changes, st.keep(st.renderChanges(lang, n)))
	}
	return ls
}

// find returns the messenger called name exactly, or nil.
func (st *state) find(name string) *content.Messenger { return st.set.Lookup(name) }

// network returns the network type called name, or nil.
func (st *state) network(name string) *content.NetworkType { return st.set.Network(name) }

// suggest returns the messenger whose name is a near miss for name, or nil.
func (st *state) suggest(name string) *content.Messenger {
	_, s := st.set.Resolve(name)
	return s
}

// withPrefix puts the room's prefix into an answer rendered with prefixMark.
func withPrefix(r Reply, prefix string) Reply {
	r.Plain = strings.ReplaceAll(r.Plain, prefixMark, prefix)
	r.HTML = strings.ReplaceAll(r.HTML, prefixMark, html.EscapeString(prefix))
	return r
}
