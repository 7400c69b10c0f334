package commands

import (
	"github.com/guidebot/guidebot/content"
)

func runCriteria(c *call) (Reply, bool) { return c.cached(c.ls.criteria), false }

// renderCriteria is the criteria answer: the minimum requirements and the
// best case, each with the messengers that meet it, partly meet it, or not.
func (st *state) renderCriteria(lang content.Lang) Reply {
	o := newOut(lang, prefixMark, 4096)
	cr := st.set.Criteria
	for i, part := range []struct {
		k  key
		cs []content.Criterion
	}{{kMinimum, cr.Minimum}, {kBestCase, cr.BestCase}} {
		if i > 0 {
			o.nl()
		}
		o.head(part.k)
		if len(part.cs) == 0 {
			o.nl()
			o.tr(kNothingYet)
			o.nl()
			continue
		}
		o.ul()
		for _, c := range part.cs {
			o.li()
			o.bold(c.Text.In(lang))
			for _, v := range []struct {
				k key
				s content.Support
			}{{kMetBy, content.Yes}, {kPartlyMetBy, content.Partial}, {kNotMetBy, content.No}, {kUnknownFor, content.Unknown}} {
				users := st.usersOf(func(m *content.Messenger) bool {
					f, ok := m.Criteria[c.ID]
					return ok && f.Value == v.s
				})
				if users != "" {
					o.raw("\n  ", "<br>")
					o.tr(v.k)
					o.colon()
					o.text(users)
				}
			}
			o.eli()
		}
		o.eul()
	}
	if !cr.Version.IsZero() {
		o.tr(kCriteriaSince)
		o.text(" ")
		o.date(cr.Version.Time)
		o.src(cr.Source)
		o.nl()
	}
	o.tr(kCompareHint)
	o.colon()
	o.cmd(byName["compare"].Example.In(lang))
	return o.reply()
}
