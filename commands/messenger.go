package commands

import (
	"strings"

	"github.com/guidebot/guidebot/content"
)

func runMessenger(c *call) (Reply, bool) {
	if len(c.args) == 0 {
		return c.usageError(kNeedName)
	}
	name := joinArgs(c.args)
	if m := c.st.find(name); m != nil {
		return c.cached(c.ls.cards[m.ID]), false
	}
	return c.unknownMessenger(name, c.st.suggest(name)), true
}

func runMessengers(c *call) (Reply, bool) { return c.cached(c.ls.list), false }

// unknownMessenger answers a name that resolves to no messenger: with the
// nearest one when there is a near miss, else with every known name.
func (c *call) unknownMessenger(name string, suggestion *content.Messenger) Reply {
	o := c.out(512)
	o.tr(kUnknownMessenger)
	o.text(" ")
	o.quote(name)
	if suggestion != nil {
		o.dash()
		o.tr(kDidYouMean)
		o.text(" ")
		o.bold(suggestion.Name)
		o.text(tr(c.lang, kQuestionMark))
		return o.reply()
	}
	o.nl()
	o.label(kKnownMessengers)
	if names := c.st.usersOf(func(*content.Messenger) bool { return true }); names != "" {
		o.text(names)
	} else {
		o.tr(kNothingYet)
	}
	return o.reply()
}

func joinArgs(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return strings.Join(args, " ")
}

// renderList is the messengers answer: every messenger by status, one line
// each.
func (st *state) renderList(lang content.Lang) Reply {
	o := newOut(lang, prefixMark, 2048)
	var cur content.Status
	open := false
	for _, m := range st.set.Messengers {
		if !open || m.Status != cur {
			if open {
				o.eul()
			}
			cur, open = m.Status, true
			o.bold(tr(lang, statusHeadingKey(m.Status)))
			o.ul()
		}
		o.li()
		o.bold(m.Name)
		o.dash()
		o.t(m.Summary.Text)
		if m.Status == content.NotRecommended {
			if h := currentStatus(m); h != nil {
				o.text(" (")
				o.tr(kRemoved)
				o.text(" ")
				o.date(h.Date.Time)
				o.text(")")
			}
		}
		o.eli()
	}
	if open {
		o.eul()
	} else {
		o.tr(kNoMessengers)
		o.nl()
	}
	o.tr(kDetails)
	o.colon()
	o.cmd(byName["messenger"].NameIn(lang) + " " + tr(lang, kNameArg))
	return o.reply()
}

// usersOf names the messengers for which ok holds, best status first.
func (st *state) usersOf(ok func(*content.Messenger) bool) string {
	s := ""
	for _, m := range st.set.Messengers {
		if ok(m) {
			if s != "" {
				s += ", "
			}
			s += m.Name
		}
	}
	return s
}
