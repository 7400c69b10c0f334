package commands

import (
	"slices"
	"strings"

	"github.com/guidebot/guidebot/content"
)

func runRecommend(c *call) (Reply, bool) {
	if len(c.args) == 0 {
		return c.cached(c.ls.general), false
	}
	needs := make([]*content.Need, 0, len(c.args))
	for i := 0; i < len(c.args); {
		// Needs may come spelled out: "no phone", "open source server".
		var n *content.Need
		k := min(3, len(c.args)-i)
		for ; k >= 1; k-- {
			if n = content.FindNeed(strings.Join(c.args[i:i+k], " ")); n != nil {
				break
			}
		}
		if n == nil {
			return c.unknownNeed(c.args[i]), true
		}
		if !containsNeed(needs, n) {
			needs = append(needs, n)
		}
		i += k
	}
	return c.st.renderRecommend(c.ls, c.prefix, needs), false
}

func containsNeed(ns []*content.Need, n *content.Need) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

// recommendFrags renders the pieces of recommend that do not depend on the
// needs asked for.
func (st *state) recommendFrags(ls *langState) {
	lang := ls.lang
	ls.fit = make(map[string]frag, len(st.set.Messengers))
	ls.status = make(map[string]frag, len(st.set.Messengers))
	ls.fails = make(map[*content.Need]frag, len(content.Needs))
	for _, m := range st.set.Messengers {
		ls.status[m.ID] = fragment(lang, func(o *out) { st.statusLine(o, m) })
		ls.fit[m.ID] = fragment(lang, func(o *out) {
			st.statusLine(o, m)
			o.text(". ")
			o.t(m.Summary.Text)
		})
	}
	for _, n := range content.Needs {
		ls.fails[n] = fragment(lang, func(o *out) { o.t(n.Fails) })
	}
}

// renderRecommend answers recommend: the messengers that meet every need,
// in Privacy Guides' order, each with the needs it meets, and those left out with the needs they miss.
// Without needs it is the general recommendation.
func (st *state) renderRecommend(ls *langState, prefix string, needs []*content.Need) Reply {
	lang := ls.lang
	fit, left := st.set.Recommend(needs) // in Privacy Guides' order already
	o := newOut(lang, prefix, 2048)
	if len(needs) == 0 {
		o.bold(tr(lang, kGeneral))
	} else {
		o.bold(tr(lang, kFor))
		o.colon()
		for i, n := range needs {
			if i > 0 {
				o.text(", ")
			}
			o.t(n.Name)
		}
	}
	if len(fit) == 0 {
		o.nl()
		o.tr(kNoneFits)
		o.nl()
	} else {
		o.ul()
		for _, m := range fit {
			o.li()
			o.bold(m.Name)
			o.dash()
			o.frag(ls.fit[m.ID])
			if len(needs) > 0 {
				o.raw("\n  ", "<br>")
				o.label(kMeets)
				for i, n := range needs {
					if i > 0 {
						o.text(", ")
					}
					o.t(n.Name)
				}
			}
			o.eli()
		}
		o.eul()
	}
	st.renderLeft(&o, ls, needs, left)
	if len(needs) == 0 {
		o.tr(kNarrowDown)
		o.colon()
		o.cmd(byName["recommend"].Example.In(lang))
		o.nl()
		o.tr(kNeedsAre)
		o.colon()
		needList(&o)
	}
	return o.reply()
}

// renderLeft writes the messengers recommend leaves out: one line each for
// those on Privacy Guides' list, with the needs they miss or their status,
// and a single line for all those not on it, grouped by what they miss, so
// that the part stays short however many there are.
func (st *state) renderLeft(o *out, ls *langState, needs []*content.Need, left []content.Left) {
	listed, unlisted := 0, 0
	for _, l := range left {
		if l.Messenger.Status.Listed() {
			listed++
		} else {
			unlisted++
		}
	}
	if listed > 0 || (len(needs) > 0 && unlisted > 0) {
		if len(needs) == 0 {
			o.head(kHdNotRecommended)
		} else {
			o.head(kLeftOut)
		}
		o.ul()
		for _, l := range left {
			if !l.Messenger.Status.Listed() {
				continue
			}
			o.li()
			o.bold(l.Messenger.Name)
			o.dash()
			for i, n := range l.Failed {
				if i > 0 {
					o.semi()
				}
				o.frag(ls.fails[n])
			}
			if !l.Messenger.Status.Picked() {
				if len(l.Failed) > 0 {
					o.semi()
				}
				o.frag(ls.status[l.Messenger.ID])
			}
			o.eli()
		}
		if len(needs) > 0 && unlisted > 0 {
			o.li()
			unlistedLine(o, ls, left)
			o.eli()
		}
		o.eul()
	}
	if len(needs) == 0 && unlisted > 0 {
		o.label(kHdNotListed)
		first := true
		for _, l := range left {
			if !l.Messenger.Status.Listed() {
				if !first {
					o.text(", ")
				}
				first = false
				o.text(l.Messenger.Name)
			}
		}
		o.nl()
	}
}

// unlistedLine names the messengers of left that are not on Privacy Guides'
// list, grouped by the needs they miss, those that miss none first:
// "Threema, Wire (all needs met); WhatsApp, Telegram (needs a phone number)".
func unlistedLine(o *out, ls *langState, left []content.Left) {
	o.label(kHdNotListed)
	// A group is named by its first member, its leader; a handful of
	// messengers make the quadratic search cheaper than a map.
	leader := func(i int) int {
		for j := range i {
			if !left[j].Messenger.Status.Listed() && slices.Equal(left[j].Failed, left[i].Failed) {
				return j
			}
		}
		return i
	}
	groups := 0
	group := func(lead int) {
		if groups > 0 {
			o.semi()
		}
		groups++
		names := 0
		for i := lead; i < len(left); i++ {
			if !left[i].Messenger.Status.Listed() && leader(i) == lead {
				if names > 0 {
					o.text(", ")
				}
				names++
				o.text(left[i].Messenger.Name)
			}
		}
		o.text(" (")
		if len(left[lead].Failed) == 0 {
			o.tr(kAllNeedsMet)
		}
		for j, n := range left[lead].Failed {
			if j > 0 {
				o.text(", ")
			}
			o.frag(ls.fails[n])
		}
		o.text(")")
	}
	for _, missesNone := range []bool{true, false} {
		for i, l := range left {
			if !l.Messenger.Status.Listed() && (len(l.Failed) == 0) == missesNone && leader(i) == i {
				group(i)
			}
		}
	}
}

// needList writes every need's name, as code.
func needList(o *out) {
	for i, n := range content.Needs {
		if i > 0 {
			o.text(", ")
		}
		o.code(n.NameIn(o.lang))
	}
}

// unknownNeed answers a need recommend does not know, listing the known.
func (c *call) unknownNeed(name string) Reply {
	o := c.out(512)
	o.tr(kUnknownNeed)
	o.text(" ")
	o.quote(name)
	if s := content.SuggestNeed(name); s != nil {
		o.dash()
		o.tr(kDidYouMean)
		o.text(" ")
		o.code(s.NameIn(c.lang))
		o.text(tr(c.lang, kQuestionMark))
	}
	o.nl()
	o.tr(kNeedsAre)
	o.colon()
	needList(&o)
	return o.reply()
}
