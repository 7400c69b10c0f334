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
	fit, left := st.set.Recommend(needs)
	fit = inPrivacyGuidesOrder(fit)
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
	var listed, unlisted []content.Left
	for _, l := range left {
		if l.Messenger.Status.Listed() {
			listed = append(listed, l)
		} else {
			unlisted = append(unlisted, l)
		}
	}
	if len(listed) > 0 || (len(needs) > 0 && len(unlisted) > 0) {
		if len(needs) == 0 {
			o.head(kHdNotRecommended)
		} else {
			o.head(kLeftOut)
		}
		o.ul()
		for _, l := range listed {
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
		if len(needs) > 0 && len(unlisted) > 0 {
			o.li()
			st.unlistedLine(o, ls, unlisted, true)
			o.eli()
		}
		o.eul()
	}
	if len(needs) == 0 && len(unlisted) > 0 {
		st.unlistedLine(o, ls, unlisted, false)
		o.nl()
	}
}

// unlistedLine names the messengers not on Privacy Guides' list; with
// reasons, grouped by the needs they miss, those that miss none first.
func (st *state) unlistedLine(o *out, ls *langState, unlisted []content.Left, reasons bool) {
	o.label(kHdNotListed)
	if !reasons {
		for i, l := range unlisted {
			if i > 0 {
				o.text(", ")
			}
			o.text(l.Messenger.Name)
		}
		return
	}
	type group struct {
		failed []*content.Need
		names  []string
	}
	var groups []group
	for _, l := range unlisted {
		i := slices.IndexFunc(groups, func(g group) bool { return slices.Equal(g.failed, l.Failed) })
		if i < 0 {
			i = len(groups)
			groups = append(groups, group{failed: l.Failed})
		}
		groups[i].names = append(groups[i].names, l.Messenger.Name)
	}
	slices.SortStableFunc(groups, func(a, b group) int { return min(len(a.failed), 1) - min(len(b.failed), 1) })
	for i, g := range groups {
		if i > 0 {
			o.semi()
		}
		o.text(strings.Join(g.names, ", "))
		o.text(" (")
		if len(g.failed) == 0 {
			o.tr(kAllNeedsMet)
		}
		for j, n := range g.failed {
			if j > 0 {
				o.text(", ")
			}
			o.frag(ls.fails[n])
		}
		o.text(")")
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

// privacyGuidesOrder is the order in which Privacy Guides lists the
// messengers it recommends (Molly under Signal). recommend keeps it rather
// than ranking them itself; a messenger not in it comes after, in the
// content's order.
var privacyGuidesOrder = []string{"signal", "molly", "simplex", "briar"}

// inPrivacyGuidesOrder sorts ms, best status first, then as Privacy Guides
// lists them.
func inPrivacyGuidesOrder(ms []*content.Messenger) []*content.Messenger {
	pos := func(m *content.Messenger) int {
		if i := slices.Index(privacyGuidesOrder, m.ID); i >= 0 {
			return i
		}
		return len(privacyGuidesOrder)
	}
	slices.SortStableFunc(ms, func(a, b *content.Messenger) int {
		if d := a.Status.Rank() - b.Status.Rank(); d != 0 {
			return d
		}
		return pos(a) - pos(b)
	})
	return ms
}
