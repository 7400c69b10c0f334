package commands

import (
	"slices"

	"github.com/guidebot/guidebot/content"
)

func runNetworks(c *call) (Reply, bool) {
	if len(c.args) == 0 {
		return c.cached(c.ls.networks), false
	}
	name := joinArgs(c.args)
	n := c.st.network(name)
	if n == nil {
		o := c.out(512)
		o.tr(kUnknownNetwork)
		o.text(" ")
		o.quote(name)
		o.nl()
		o.tr(kNetworksAre)
		o.colon()
		for i, n := range c.st.set.Networks {
			if i > 0 {
				o.text(", ")
			}
			o.code(n.ID)
			o.text(" (")
			o.t(n.Name)
			o.text(")")
		}
		return o.reply(), true
	}
	return c.cached(c.ls.network[n.ID]), false
}

// renderNetworks is the networks answer: every network type, or only one,
// with its advantages, disadvantages and the messengers built on it.
func (st *state) renderNetworks(lang content.Lang, only *content.NetworkType) Reply {
	o := newOut(lang, prefixMark, 4096)
	for i, n := range st.set.Networks {
		if only != nil && n != only {
			continue
		}
		if i > 0 && only == nil {
			o.nl()
		}
		o.bold(n.Name.In(lang))
		o.src(n.Source)
		o.nl()
		o.t(n.Description)
		o.nl()
		o.label(kUsedBy)
		users := st.usersOf(func(m *content.Messenger) bool { return slices.Contains(m.Network.Types, n.ID) })
		if users == "" {
			o.tr(kNobody)
		} else {
			o.text(users)
		}
		o.nl()
		for _, part := range []struct {
			k     key
			items []content.Text
		}{{kAdvantages, n.Advantages}, {kDisadvantages, n.Disadvantages}} {
			if len(part.items) == 0 {
				continue
			}
			o.head(part.k)
			o.ul()
			for _, t := range part.items {
				o.li()
				o.t(t)
				o.eli()
			}
			o.eul()
		}
	}
	if only == nil {
		// Messengers of a design of their own (SimpleX relays) have no type.
		for _, m := range st.set.Messengers {
			if len(m.Network.Types) > 0 {
				continue
			}
			o.nl()
			o.bold(tr(lang, kOwnDesign))
			o.colon()
			o.text(m.Name)
			o.dash()
			o.t(m.Network.Text)
			o.src(m.Network.Source)
			o.nl()
		}
		if len(st.set.Networks) == 0 {
			o.tr(kNothingYet)
			o.nl()
		}
		o.nl()
		o.tr(kOneNetwork)
		o.colon()
		o.cmd(byName["networks"].NameIn(lang) + " TYPE")
	}
	return o.reply()
}
