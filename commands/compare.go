package commands

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guidebot/guidebot/content"
)

// How many messengers compare takes: more columns do not fit a chat window.
const (
	minCompare = 2
	maxCompare = 5
)

func runCompare(c *call) (Reply, bool) {
	if len(c.args) < minCompare {
		return c.usageError(kCompareCount, strconv.Itoa(minCompare), strconv.Itoa(maxCompare))
	}
	ms, bad, sug := c.resolveList(c.args)
	if bad != "" {
		return c.unknownMessenger(bad, sug), true
	}
	if len(ms) < minCompare || len(ms) > maxCompare {
		return c.usageError(kCompareCount, strconv.Itoa(minCompare), strconv.Itoa(maxCompare))
	}
	return c.st.renderCompare(c.ls, c.prefix, ms), false
}

// resolveList reads messenger names from args, joining up to three words
// when together they name one ("simplex chat"), and dropping repeats. On an
// unknown name it returns that name and the closest known messenger.
func (c *call) resolveList(args []string) (ms []*content.Messenger, bad string, suggestion *content.Messenger) {
	ms = make([]*content.Messenger, 0, len(args))
	for i := 0; i < len(args); {
		var m *content.Messenger
		n := 1
		for k := min(3, len(args)-i); k >= 1 && m == nil; k-- {
			name := args[i]
			if k > 1 {
				name = strings.Join(args[i:i+k], " ")
			}
			if m = c.st.find(name); m != nil {
				n = k
			}
		}
		if m == nil {
			return nil, args[i], c.st.suggest(args[i])
		}
		if !containsMessenger(ms, m) {
			ms = append(ms, m)
		}
		i += n
	}
	return ms, "", nil
}

func containsMessenger(ms []*content.Messenger, m *content.Messenger) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// renderCompare lays out the columns of ms: an HTML table, and the same
// table aligned with spaces in the plain body.
func (st *state) renderCompare(ls *langState, prefix string, ms []*content.Messenger) Reply {
	t := ls.table
	// Size both bodies up front: growing a builder copies it.
	htmlSize, lineWidth, lines := t.labelLen+256, t.width0+1, len(t.rows)+3
	for _, m := range ms {
		htmlSize += t.colLen[m.ID] + 32
		lines += t.colLines[m.ID]
	}
	// Widths of the plain-text columns.
	var widthBuf [maxCompare]int
	widths := widthBuf[:len(ms)]
	var colBuf [maxCompare][]cell
	cols := colBuf[:len(ms)]
	for j, m := range ms {
		cols[j] = t.cols[m.ID]
		widths[j] = utf8.RuneCountInString(m.Name)
		for _, c := range cols[j] {
			widths[j] = max(widths[j], c.width)
		}
		lineWidth += widths[j] + 2
	}
	o := out{lang: ls.lang, prefix: prefix,
		// Bytes per line: accents take two, padding at line ends is dropped.
		p: make([]byte, 0, lines*lineWidth*9/8+256),
		h: make([]byte, 0, htmlSize)}
	for i, m := range ms {
		if i > 0 {
			o.text(" vs ")
		}
		o.bold(m.Name)
	}
	o.raw("\n\n", "")

	// Lines are padded as they are written; flush drops the padding at
	// the end of the line, which stops at the previous newline.
	flush := func() {
		for len(o.p) > 0 && o.p[len(o.p)-1] == ' ' {
			o.p = o.p[:len(o.p)-1]
		}
		o.p = append(o.p, '\n')
	}

	o.h = append(o.h, "<table><thead><tr><th></th>"...)
	o.p = pad(o.p, "", t.width0)
	for j, m := range ms {
		o.p = append(o.p, "  "...)
		o.p = pad(o.p, m.Name, widths[j])
		o.h = append(o.h, "<th>"...)
		o.esc(m.Name)
		o.h = append(o.h, "</th>"...)
	}
	o.h = append(o.h, "</tr></thead><tbody>"...)
	flush()

	for i, r := range t.rows {
		o.h = append(o.h, r.html...)
		if r.section {
			for range ms {
				o.h = append(o.h, "<td></td>"...)
			}
			o.h = append(o.h, "</tr>"...)
			o.p = append(o.p, r.label...)
			flush()
			continue
		}
		height := 1
		for j := range ms {
			c := &cols[j][i]
			height = max(height, len(c.lines))
			o.h = append(o.h, "<td>"...)
			o.h = append(o.h, c.html...)
			o.h = append(o.h, "</td>"...)
		}
		o.h = append(o.h, "</tr>"...)
		for k := range height {
			label := ""
			if k == 0 {
				label = r.label
			}
			o.p = pad(o.p, label, t.width0)
			for j := range ms {
				o.p = append(o.p, "  "...)
				if c := &cols[j][i]; k < len(c.lines) {
					o.p = append(o.p, c.lines[k]...)
					o.p = spaces(o.p, widths[j]-c.widths[k])
				} else {
					o.p = spaces(o.p, widths[j])
				}
			}
			flush()
		}
	}
	o.h = append(o.h, "</tbody></table>"...)

	o.raw("\n", "")
	o.tr(kDetails)
	o.colon()
	o.cmd(byName["messenger"].NameIn(ls.lang) + " " + tr(ls.lang, kNameArg))
	return o.reply()
}

// pad appends s and spaces up to width runes.
func pad(b []byte, s string, width int) []byte {
	return spaces(append(b, s...), width-utf8.RuneCountInString(s))
}

const blanks = "                                                                "

// spaces appends n spaces.
func spaces(b []byte, n int) []byte {
	for ; n > len(blanks); n -= len(blanks) {
		b = append(b, blanks...)
	}
	if n > 0 {
		b = append(b, blanks[:n]...)
	}
	return b
}
