package commands

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guidebot/guidebot/content"
)

// compareTable is every messenger's column of the comparison, rendered once
// per content set and language; compare only picks and lays out columns.
type compareTable struct {
	rows   []cmpRow
	cols   map[string][]cell // messenger id → one cell per row
	width0 int               // the widest plain-text row label
	// To size an answer up front: bytes of the row labels' HTML, and per
	// messenger of its cells' HTML and of the lines its cells add to the
	// plain table.
	labelLen         int
	colLen, colLines map[string]int
}

// cmpRow is one criterion of the comparison.
type cmpRow struct {
	label   string // the row's label
	html    string // the label escaped, with its cell markup
	section bool   // a heading row, without cells
}

// cell is one messenger's answer to one criterion.
type cell struct {
	lines  []string // plain-text lines
	widths []int    // each line's width, in runes
	html   string   // escaped lines joined with <br>
	width  int      // the widest line
}

func newCell(lines ...string) cell {
	c := cell{lines: lines, widths: make([]int, len(lines))}
	esc := make([]string, len(lines))
	for i, l := range lines {
		c.widths[i] = utf8.RuneCountInString(l)
		c.width = max(c.width, c.widths[i])
		esc[i] = html.EscapeString(l)
	}
	c.html = strings.Join(esc, "<br>")
	return c
}

// compareTable builds the rows and every messenger's cells in lang.
func (st *state) compareTable(lang content.Lang) *compareTable {
	t := &compareTable{cols: make(map[string][]cell, len(st.set.Messengers)), colLen: make(map[string]int), colLines: make(map[string]int)}
	type row struct {
		cmpRow
		get func(m *content.Messenger) []string
	}
	one := func(k key) []string { return []string{tr(lang, k)} }
	support := func(f func(m *content.Messenger) content.Fact) func(m *content.Messenger) []string {
		return func(m *content.Messenger) []string { return one(supportKey(f(m).Value)) }
	}
	rows := []row{
		{cmpRow{label: tr(lang, kStatus)}, func(m *content.Messenger) []string {
			if m.Status == content.NotListed {
				return one(kCellNotListed) // the full words would widen every table
			}
			l := one(statusKey(m.Status))
			if h := currentStatus(m); h != nil && m.Status != content.Recommended {
				l = append(l, tr(lang, kSince)+" "+date(lang, h.Date.Time))
			}
			return l
		}},
		{cmpRow{label: tr(lang, kNetwork)}, func(m *content.Messenger) []string {
			if n := st.networkNames(m, lang); len(n) > 0 {
				return n
			}
			return one(kOwnDesign)
		}},
		{cmpRow{label: tr(lang, kDecentralized)}, func(m *content.Messenger) []string { return one(supportKey(m.Network.Decentralized)) }},
		{cmpRow{label: tr(lang, kRowE2EE1)}, support(func(m *content.Messenger) content.Fact { return m.E2EE.OneToOne })},
		{cmpRow{label: tr(lang, kRowE2EEGroups)}, support(func(m *content.Messenger) content.Fact { return m.E2EE.Groups })},
		{cmpRow{label: tr(lang, kRowE2EECalls)}, support(func(m *content.Messenger) content.Fact { return m.E2EE.Calls })},
		{cmpRow{label: tr(lang, kForwardSecrecy)}, support(func(m *content.Messenger) content.Fact { return m.ForwardSecrecy })},
		{cmpRow{label: tr(lang, kFutureSecrecy)}, support(func(m *content.Messenger) content.Fact { return m.FutureSecrecy })},
		{cmpRow{label: tr(lang, kIdentifier)}, func(m *content.Messenger) []string { return one(identifierKey(m.Identifier.Kind)) }},
	}
	for _, p := range content.Platforms {
		rows = append(rows, row{cmpRow{label: trf(lang, kApp, platformNames[p])}, func(m *content.Messenger) []string {
			for _, q := range m.Platforms.List {
				if q == p {
					return one(kYes)
				}
			}
			return one(kNo)
		}})
	}
	rows = append(rows,
		row{cmpRow{label: tr(lang, kAudits)}, func(m *content.Messenger) []string {
			return []string{auditCell(lang, m)}
		}},
		row{cmpRow{label: tr(lang, kOpenSourceServer)}, support(func(m *content.Messenger) content.Fact { return m.OpenSourceServer })},
		row{cmpRow{label: tr(lang, kTor)}, support(func(m *content.Messenger) content.Fact { return m.Tor })},
		row{cmpRow{label: tr(lang, kOffline)}, support(func(m *content.Messenger) content.Fact { return m.Offline })},
	)
	criteria := func(heading key, cs []content.Criterion) {
		if len(cs) == 0 {
			return
		}
		rows = append(rows, row{cmpRow: cmpRow{label: tr(lang, heading), section: true}})
		for _, cr := range cs {
			rows = append(rows, row{cmpRow{label: criterionLabel(lang, cr)},
				func(m *content.Messenger) []string {
					if f, ok := m.Criteria[cr.ID]; ok {
						return one(supportKey(f.Value))
					}
					return []string{"?"}
				}})
		}
	}
	criteria(kMinimum, st.set.Criteria.Minimum)
	criteria(kBestCase, st.set.Criteria.BestCase)

	for _, r := range rows {
		esc := html.EscapeString(r.label)
		switch {
		case r.section:
			r.html = "<tr><td><b><i>" + esc + "</i></b></td>"
		default:
			r.html = "<tr><td><b>" + esc + "</b></td>"
		}
		t.rows = append(t.rows, r.cmpRow)
		t.width0 = max(t.width0, utf8.RuneCountInString(r.label))
		t.labelLen += len(r.html) + len("</tr>")
	}
	for _, m := range st.set.Messengers {
		cells := make([]cell, len(rows))
		for i, r := range rows {
			if r.get != nil {
				cells[i] = newCell(r.get(m)...)
				t.colLen[m.ID] += len(cells[i].html) + len("<td></td>")
				t.colLines[m.ID] += len(cells[i].lines) - 1
			} else {
				t.colLen[m.ID] += 9
			}
		}
		t.cols[m.ID] = cells
	}
	return t
}

// auditCell lists the years of a messenger's audits, then its other
// reviews by kind ("none; analysis 2016"): a protocol analysis or
// researchers' findings must not read as an audit of the apps.
func auditCell(lang content.Lang, m *content.Messenger) string {
	if len(m.Audits) == 0 {
		return tr(lang, kNoAudit)
	}
	var audits, others []string
	for _, a := range m.Audits {
		year := strconv.Itoa(a.Year)
		if k, ok := reviewKindKey(a.Kind); ok {
			others = append(others, tr(lang, k)+" "+year)
		} else {
			audits = append(audits, year)
		}
	}
	if len(audits) == 0 {
		audits = []string{tr(lang, kNoCodeAudit)}
	}
	if len(others) == 0 {
		return strings.Join(audits, ", ")
	}
	semi := "; "
	if lang == content.FR {
		semi = "\u00a0; "
	}
	return strings.Join(audits, ", ") + semi + strings.Join(others, ", ")
}

// reviewKindKey names a review that is not an audit; ok is false for an
// audit, which needs no name.
func reviewKindKey(k content.AuditKind) (name key, ok bool) {
	switch k {
	case content.KindAudit:
		return 0, false
	case content.KindAnalysis:
		return kKindAnalysis, true
	default:
		return kKindFindings, true
	}
}
