package commands

import (
	"strconv"
	"strings"

	"github.com/guidebot/guidebot/content"
)

// card writes a messenger's card: every field of the card, each fact with its
// source link in HTML.
func (st *state) card(o *out, m *content.Messenger) {
	o.bold(m.Name)
	o.dash()
	o.tr(statusKey(m.Status))
	o.nl()
	o.t(m.Summary.Text)
	o.src(m.Summary.Source)
	o.gap()

	o.label(kStatus)
	st.statusLine(o, m)
	o.nl()
	if steps := statusSteps(m); len(steps) > 1 {
		o.label(kHistory)
		for i, h := range steps {
			if i > 0 {
				o.raw(" → ", " → ")
			}
			o.date(h.Date.Time)
			o.text(" ")
			o.tr(statusKey(h.Status))
		}
		o.nl()
	}

	o.label(kNetwork)
	text := m.Network.Text.In(o.lang)
	// Name the types unless the text starts by naming them already.
	if names := st.networkNames(m, o.lang); len(names) > 0 && !strings.HasPrefix(content.Fold(text), content.Fold(names[0])) {
		o.text(strings.Join(names, ", "))
		o.text(". ")
	}
	o.text(text)
	o.src(m.Network.Source)
	o.nl()
	o.label(kProtocol)
	o.t(m.Protocol.Text)
	o.src(m.Protocol.Source)
	o.nl()

	o.head(kE2EE)
	o.ul()
	for _, f := range []struct {
		k key
		f content.Fact
	}{{kOneToOne, m.E2EE.OneToOne}, {kGroups, m.E2EE.Groups}, {kCalls, m.E2EE.Calls}} {
		o.li()
		o.text(tr(o.lang, f.k))
		o.colon()
		fact(o, f.f)
		o.eli()
	}
	o.eul()
	for _, f := range []struct {
		k key
		f content.Fact
	}{{kForwardSecrecy, m.ForwardSecrecy}, {kFutureSecrecy, m.FutureSecrecy}, {kOpenSourceServer, m.OpenSourceServer}, {kTor, m.Tor}, {kOffline, m.Offline}} {
		o.label(f.k)
		fact(o, f.f)
		o.nl()
	}

	o.label(kIdentifier)
	o.tr(identifierKey(m.Identifier.Kind))
	if t := m.Identifier.Text.In(o.lang); t != "" {
		o.dash()
		o.text(t)
	}
	o.src(m.Identifier.Source)
	o.nl()
	o.label(kPlatforms)
	o.text(platformList(m.Platforms.List))
	if m.Platforms.Note != nil {
		o.dash()
		o.t(*m.Platforms.Note)
	}
	o.src(m.Platforms.Source)
	o.nl()

	if len(m.Audits) == 0 {
		o.label(kAudits)
		o.tr(kNoAudit)
		o.nl()
	} else {
		o.head(kAudits)
		o.ul()
		for _, a := range m.Audits {
			o.li()
			o.text(strconv.Itoa(a.Year))
			o.text(", ")
			o.text(a.By)
			if k, ok := reviewKindKey(a.Kind); ok {
				o.text(" (")
				o.tr(k)
				o.text(")")
			}
			o.colon()
			o.t(a.Scope)
			o.src(a.Source)
			o.eli()
		}
		o.eul()
	}
	if len(m.Caveats) > 0 {
		o.head(kCaveats)
		o.ul()
		for _, c := range m.Caveats {
			o.li()
			o.t(c.Text)
			o.src(c.Source)
			o.eli()
		}
		o.eul()
	}

	o.label(kLinks)
	first := true
	for _, l := range []struct {
		k key
		u content.URL
	}{{kHomepage, m.Links.Homepage}, {kPrivacyPolicy, m.Links.Privacy}, {kSourceCode, m.Links.Source}, {kDocs, m.Links.Docs}} {
		if l.u == "" {
			continue
		}
		if !first {
			o.sep()
		}
		first = false
		o.link(tr(o.lang, l.k), l.u, true)
	}
	o.nl()
	o.label(kReviewed)
	o.date(m.Reviewed.Time)
}

// statusLine writes the messenger's status with the date and reason of the
// change that gave it. A status held since the oldest page version the
// history tracks, unless that version added it, is only known to hold "at
// least since" then.
func (st *state) statusLine(o *out, m *content.Messenger) {
	o.tr(statusKey(m.Status))
	if m.Status == content.NotListed {
		o.dash()
		o.tr(kNotListedWhy)
		return
	}
	h := currentStatus(m)
	if h == nil {
		return
	}
	o.text(" ")
	if h == &m.StatusHistory[0] && !h.Added && !h.Date.After(st.trackStart) {
		o.tr(kAtLeastSince)
	} else {
		o.tr(kSince)
	}
	o.text(" ")
	o.date(h.Date.Time)
	if r := h.Reason.In(o.lang); r != "" && m.Status != content.Recommended {
		o.dash()
		o.text(r)
	}
	o.src(h.Source)
}

// currentStatus is the history entry that gave m its status, or nil.
func currentStatus(m *content.Messenger) *content.StatusChange {
	for i := len(m.StatusHistory) - 1; i >= 0; i-- {
		if h := &m.StatusHistory[i]; h.Status == m.Status {
			// The earliest of a run of the same status is when it began.
			for i > 0 && m.StatusHistory[i-1].Status == m.Status {
				i--
			}
			return &m.StatusHistory[i]
		}
	}
	return nil
}

// statusSteps is the status history without the entries that kept the
// status (Briar moving from "other messengers" to the main list).
func statusSteps(m *content.Messenger) []content.StatusChange {
	var steps []content.StatusChange
	for _, h := range m.StatusHistory {
		if len(steps) == 0 || steps[len(steps)-1].Status != h.Status {
			steps = append(steps, h)
		}
	}
	return steps
}

// fact writes a fact's value, its note and its source.
func fact(o *out, f content.Fact) {
	o.tr(supportKey(f.Value))
	if f.Note != nil {
		if n := f.Note.In(o.lang); n != "" {
			o.dash()
			o.text(n)
		}
	}
	o.src(f.Source)
}

// networkNames are the names of m's network types in lang.
func (st *state) networkNames(m *content.Messenger, lang content.Lang) []string {
	names := make([]string, 0, len(m.Network.Types))
	for _, id := range m.Network.Types {
		if n := st.nets[id]; n != nil {
			names = append(names, n.Name.In(lang))
		} else {
			names = append(names, id)
		}
	}
	return names
}

var platformNames = map[content.Platform]string{
	content.Android: "Android", content.IOS: "iOS", content.Windows: "Windows",
	content.MacOS: "macOS", content.Linux: "Linux", content.Web: "Web",
}

// platformList names the platforms in display order.
func platformList(ps []content.Platform) string {
	var b strings.Builder
	for _, p := range content.Platforms {
		for _, q := range ps {
			if p == q {
				if b.Len() > 0 {
					b.WriteString(", ")
				}
				b.WriteString(platformNames[p])
				break
			}
		}
	}
	return b.String()
}
