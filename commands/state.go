package commands

import (
	"html"
	"strings"

	"github.com/guidebot/guidebot/content"
)

// prefixMark stands for the room's prefix in answers rendered once for every
// room; withPrefix puts the real one in. No content or catalog string holds
// a NUL byte.
const prefixMark = "\x00"

// state is one content set with everything rendered from it that does not
// depend on the room: the hot path mostly copies these.
type state struct {
	set   *content.Set
	opts  *options
	names map[string]*content.Messenger // folded id, name, alias → messenger
	nets  map[string]*content.NetworkType
	langs [2]langState
}

// langState holds the answers rendered in one language.
type langState struct {
	lang     content.Lang
	cards    map[string]Reply // messenger id → card
	list     Reply
	networks Reply
	network  map[string]Reply // network type id → its part of networks
	criteria Reply
	about    Reply
	general  Reply // recommend without needs
	help     Reply
	helpCmd  map[*Command]Reply
	table    *compareTable
}

func newState(set *content.Set, opts *options) *state {
	st := &state{
		set:   set,
		opts:  opts,
		names: make(map[string]*content.Messenger),
		nets:  make(map[string]*content.NetworkType),
	}
	for _, m := range set.Messengers {
		for _, n := range append([]string{m.ID, m.Name}, m.Aliases...) {
			st.names[content.Fold(n)] = m
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
		cards:   make(map[string]Reply, len(st.set.Messengers)),
		network: make(map[string]Reply, len(st.set.Networks)),
		helpCmd: make(map[*Command]Reply, len(commandList)),
	}
	for _, m := range st.set.Messengers {
		o := newOut(lang, prefixMark, 2048)
		st.card(o, m)
		ls.cards[m.ID] = o.reply()
	}
	ls.list = st.renderList(lang)
	ls.networks = st.renderNetworks(lang, nil)
	for _, n := range st.set.Networks {
		ls.network[n.ID] = st.renderNetworks(lang, n)
	}
	ls.criteria = st.renderCriteria(lang)
	ls.about = st.renderAbout(lang)
	ls.general = st.renderRecommend(lang, prefixMark, nil)
	ls.help = st.renderHelp(lang)
	for _, c := range commandList {
		ls.helpCmd[c] = st.renderHelpCmd(lang, c)
	}
	ls.table = st.compareTable(lang)
	return ls
}

// find returns the messenger called name exactly (folded), or nil. It is
// Set.Resolve without the search for near misses, which only an unknown
// name needs: the hot path skips that work.
func (st *state) find(name string) *content.Messenger { return st.names[fold(name)] }

// withPrefix puts the room's prefix into an answer rendered with prefixMark.
func withPrefix(r Reply, prefix string) Reply {
	r.Plain = strings.ReplaceAll(r.Plain, prefixMark, prefix)
	r.HTML = strings.ReplaceAll(r.HTML, prefixMark, html.EscapeString(prefix))
	return r
}
