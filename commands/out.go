package commands

import (
	"strings"

	"github.com/guidebot/guidebot/content"
)

// htmlEscaper escapes exactly like html.EscapeString, but writes straight
// into the builder instead of allocating a copy.
var htmlEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")

// out writes the plain and the HTML body of an answer side by side, so the
// two never drift apart. Every string goes through text, bold, code, …,
// which escape it for HTML; only raw writes markup, and only constant markup.
type out struct {
	lang   content.Lang
	prefix string // the room's prefix, or prefixMark in answers cached for every room
	p, h   strings.Builder
}

func newOut(lang content.Lang, prefix string, size int) *out {
	o := &out{lang: lang, prefix: prefix}
	o.p.Grow(size)
	o.h.Grow(size * 2)
	return o
}

// esc writes s HTML-escaped into the HTML body only.
func (o *out) esc(s string) { htmlEscaper.WriteString(&o.h, s) }

// raw writes p to the plain body and the markup h to the HTML body.
func (o *out) raw(p, h string) {
	o.p.WriteString(p)
	o.h.WriteString(h)
}

// text writes s to both bodies.
func (o *out) text(s string) {
	o.p.WriteString(s)
	o.esc(s)
}

// tr writes a catalog string.
func (o *out) tr(k key) { o.text(tr(o.lang, k)) }

// t writes a content text in the answer's language.
func (o *out) t(t content.Text) { o.text(t.In(o.lang)) }

func (o *out) bold(s string) {
	o.p.WriteString(s)
	o.h.WriteString("<b>")
	o.esc(s)
	o.h.WriteString("</b>")
}

func (o *out) ital(s string) {
	o.p.WriteString(s)
	o.h.WriteString("<i>")
	o.esc(s)
	o.h.WriteString("</i>")
}

// code writes something to type, such as a command: as is in plain text.
func (o *out) code(s string) {
	o.p.WriteString(s)
	o.h.WriteString("<code>")
	o.esc(s)
	o.h.WriteString("</code>")
}

// cmd writes a command line to type, after the room's prefix.
func (o *out) cmd(line string) {
	o.p.WriteString(o.prefix)
	o.p.WriteString(line)
	o.h.WriteString("<code>")
	o.esc(o.prefix)
	o.esc(line)
	o.h.WriteString("</code>")
}

// quote writes what the user typed, quoted the way the language quotes in
// plain text and as code in HTML, so it stands apart from the sentence.
func (o *out) quote(s string) {
	if o.lang == content.FR {
		o.p.WriteString("« ")
		o.p.WriteString(s)
		o.p.WriteString(" »")
	} else {
		o.p.WriteString("“")
		o.p.WriteString(s)
		o.p.WriteString("”")
	}
	o.h.WriteString("<code>")
	o.esc(s)
	o.h.WriteString("</code>")
}

// label writes a field name followed by a colon, bold in HTML.
func (o *out) label(k key) {
	l := tr(o.lang, k)
	o.p.WriteString(l)
	o.h.WriteString("<b>")
	o.esc(l)
	o.h.WriteString("</b>")
	o.colon()
}

// head writes a field name followed by a colon, before a list.
func (o *out) head(k key) {
	l := tr(o.lang, k)
	if o.lang == content.FR {
		l += "\u00a0:"
	} else {
		l += ":"
	}
	o.bold(l)
}

// colon writes ": ", or " : " with a no-break space in French.
func (o *out) colon() {
	if o.lang == content.FR {
		o.raw("\u00a0: ", "\u00a0: ")
	} else {
		o.raw(": ", ": ")
	}
}

// link writes text linking to url in HTML; plain text shows the URL too
// when showURL is set, since a plain body cannot hold the link.
func (o *out) link(text string, url content.URL, showURL bool) {
	o.p.WriteString(text)
	if showURL && url != "" {
		o.p.WriteByte(' ')
		o.p.WriteString(string(url))
	}
	if url == "" {
		o.esc(text)
		return
	}
	o.h.WriteString(`<a href="`)
	o.esc(string(url))
	o.h.WriteString(`">`)
	o.esc(text)
	o.h.WriteString("</a>")
}

// src writes a source link after a fact: HTML only, a plain body would drown
// in URLs.
func (o *out) src(url content.URL) {
	if url == "" {
		return
	}
	o.h.WriteString(` (<a href="`)
	o.esc(string(url))
	o.h.WriteString(`">`)
	o.esc(tr(o.lang, kSource))
	o.h.WriteString("</a>)")
}

// nl ends a line.
func (o *out) nl() { o.raw("\n", "<br>") }

// gap leaves an empty line.
func (o *out) gap() { o.raw("\n\n", "<br><br>") }

// Lists: "• item" lines in plain text, <ul><li> in HTML. A list follows a
// line that ended without nl, and the text after it starts on a new line.
func (o *out) ul()  { o.raw("\n", "<ul>") }
func (o *out) li()  { o.raw("• ", "<li>") }
func (o *out) eli() { o.raw("\n", "</li>") }
func (o *out) eul() { o.h.WriteString("</ul>") }
func (o *out) sep() { o.raw(" · ", " · ") }

// semi writes "; ", with a no-break space before it in French.
func (o *out) semi() {
	if o.lang == content.FR {
		o.raw("\u00a0; ", "\u00a0; ")
	} else {
		o.raw("; ", "; ")
	}
}
func (o *out) dash() { o.raw(" — ", " — ") }

// reply finishes the answer.
func (o *out) reply() Reply {
	h := o.h.String()
	for strings.HasSuffix(h, "<br>") {
		h = h[:len(h)-len("<br>")]
	}
	return Reply{Plain: strings.TrimRight(o.p.String(), "\n "), HTML: h}
}
