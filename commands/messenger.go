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
