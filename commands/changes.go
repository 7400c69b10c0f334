package commands

import (
	"slices"
	"strconv"

	"github.com/guidebot/guidebot/content"
)

// How many change-log entries changes shows by default, and at most.
const (
	defaultChanges = 5
	maxChanges     = 50
)

func runChanges(c *call) (Reply, bool) {
	n := defaultChanges
	if len(c.args) > 1 {
		return c.usageError(kChangesCount, strconv.Itoa(maxChanges))
	}
	if len(c.args) == 1 {
		var err error
		if n, err = strconv.Atoi(c.args[0]); err != nil || n < 1 || n > maxChanges {
			return c.usageError(kChangesCount, strconv.Itoa(maxChanges))
		}
	}
	// ls.changes[i] shows i+1 entries; asking for more than there are
	// shows them all.
	return c.cached(c.ls.changes[min(n, len(c.ls.changes))-1]), false
}

// renderChanges is the changes answer with the newest n entries.
func (st *state) renderChanges(lang content.Lang, n int) Reply {
	all := st.set.Changes
	o := newOut(lang, prefixMark, 2048)
	o.bold(trf(lang, kLatestChanges, strconv.Itoa(min(n, len(all))), strconv.Itoa(len(all))))
	if len(all) == 0 {
		o.nl()
		o.tr(kNothingYet)
		return o.reply()
	}
	changeList(&o, all[:min(n, len(all))])
	return o.reply()
}

// changeList writes change-log entries, in the order given.
func changeList(o *out, entries []*content.Change) {
	o.ul()
	for _, e := range entries {
		o.li()
		o.bold(date(o.lang, e.Date.Time))
		o.dash()
		o.t(e.Text)
		o.src(e.Source)
		o.eli()
	}
	o.eul()
}

// RenderAnnouncement is the message the bot sends to subscribed rooms when
// the content gains change-log entries: one message listing them, newest
// first.
func RenderAnnouncement(set *content.Set, entries []*content.Change, lang content.Lang) Reply {
	if lang != content.FR {
		lang = content.EN
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b *content.Change) int {
		if c := b.Date.Compare(a.Date.Time); c != 0 {
			return c
		}
		return cmpStrings(b.ID, a.ID)
	})
	o := newOut(lang, defaultPrefix, 1024)
	if len(sorted) == 1 {
		o.bold(tr(lang, kAnnounceOne))
	} else {
		o.bold(trf(lang, kAnnounceMany, strconv.Itoa(len(sorted))))
	}
	changeList(&o, sorted)
	if set != nil {
		o.tr(kContentVersion)
		o.colon()
		o.text(set.Version())
		o.nl()
	}
	o.tr(kAnnounceStop)
	o.text(" ")
	o.code(byName["unsubscribe"].NameIn(lang))
	o.text(".")
	r := o.reply()
	r.Command = "announcement"
	return r
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
