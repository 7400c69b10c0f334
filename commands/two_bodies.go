package commands

import (
	"bytes"
	"unsafe"

	"github.com/guidebot/guidebot/content"
)

// out writes the plain and the HTML body of an answer side by side, so the
// two never drift apart. Every string goes through text, bold, code, …,
// which escape it for HTML; only raw writes markup, and only constant markup.
//
// The bodies are byte slices in a value the caller keeps on its stack: a
// strings.Builder behind a pointer made every append a GC write barrier,
// which was most of the cost of a large answer.
type out struct {
	lang   content.Lang
	prefix string // the room's prefix, or prefixMark in answers cached for every room
	p, h   []byte
}

func newOut(lang content.Lang, prefix string, size int) out {
	return out{lang: lang, prefix: prefix, p: make([]byte, 0, size), h: make([]byte, 0, size*2)}
}

// esc writes s HTML-escaped into the HTML body only, exactly as
// html.EscapeString would.
func (o *out) esc(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var e string
		switch s[i] {
		case '&':
			e = "&amp;"
		case '\'':
			e = "&#39;"
		case '<':
			e = "&lt;"
		case '>':
			e = "&gt;"
		case '"':
			e = "&#34;"
		default:
			continue
		}
		o.h = append(o.h, s[last:i]...)
		o.h = append(o.h, e...)
		last = i + 1
	}
	o.h = append(o.h, s[last:]...)
}

// raw writes p to the plain body and the markup h to the HTML body.
func (o *out) raw(p, h string) {
	o.p = append(o.p, p...)
	o.h = append(o.h, h...)
}

// text writes s to both bodies.
func (o *out) text(s string) {
	o.p = append(o.p, s...)
	o.esc(s)
}

// tr writes a catalog string.
func (o *out) tr(k key) { o.text(tr(o.lang, k)) }

// t writes a content text in the answer's language.
func (o *out) t(t content.Text) { o.text(t.In(o.lang)) }

// wrap writes s in both bodies, between the tags open and close in HTML.
func (o *out) wrap(open, s, close string) {
	o.p = append(o.p, s...)
	o.h = append(o.h, open...)
	o.esc(s)
	o.h = append(o.h, close...)
}

func (o *out) bold(s string) { o.wrap("<b>", s, "</b>") }

// code writes something to type, such as a command: as is in plain text.
func (o *out) code(s string) { o.wrap("<code>", s, "</code>") }

// cmd writes a command line to type, after the room's prefix.
func (o *out) cmd(line string) {
	o.p = append(o.p, o.prefix...)
	o.p = append(o.p, line...)
	o.h = append(o.h, "<code>"...)
	o.esc(o.prefix)
	o.esc(line)
	o.h = append(o.h, "</code>"...)
}

// quote writes what the user typed, quoted the way the language quotes in
// plain text and as code in HTML, so it stands apart from the sentence.
func (o *out) quote(s string) {
	if o.lang == content.FR {
		o.p = append(o.p, "« "...)
		o.p = append(o.p, s...)
		o.p = append(o.p, " »"...)
	} else {
		o.p = append(o.p, "“"...)
		o.p = append(o.p, s...)
		o.p = append(o.p, "”"...)
	}
	o.h = append(o.h, "<code>"...)
	o.esc(s)
	o.h = append(o.h, "</code>"...)
}

// label writes a field name followed by a colon, bold in HTML.
func (o *out) label(k key) {
	o.bold(tr(o.lang, k))
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
	o.p = append(o.p, text...)
	if showURL && url != "" {
		o.p = append(o.p, ' ')
		o.p = append(o.p, url...)
	}
	if url == "" {
		o.esc(text)
		return
	}
	o.h = append(o.h, `<a href="`...)
	o.esc(string(url))
	o.h = append(o.h, `">`...)
	o.esc(text)
	o.h = append(o.h, "</a>"...)
}

// src writes a source link after a fact: HTML only, a plain body would drown
// in URLs.
func (o *out) src(url content.URL) {
	if url == "" {
		return
	}
	o.h = append(o.h, ` (<a href="`...)
	o.esc(string(url))
	o.h = append(o.h, `">`...)
	o.esc(tr(o.lang, kSource))
	o.h = append(o.h, "</a>)"...)
}

// nl ends a line.
func (o *out) nl() { o.raw("\n", "<br>") }

// gap leaves an empty line.
func (o *out) gap() { o.raw("\n\n", "<br><br>") }

// Lists: "• item" lines in plain text, <ul><li> in HTML. A list follows a
// line that ended without nl, and the text after it starts on a new line.
func (o *out) ul()   { o.raw("\n", "<ul>") }
func (o *out) li()   { o.raw("• ", "<li>") }
func (o *out) eli()  { o.raw("\n", "</li>") }
func (o *out) eul()  { o.h = append(o.h, "</ul>"...) }
func (o *out) sep()  { o.raw(" · ", " · ") }
func (o *out) dash() { o.raw(" — ", " — ") }

// semi writes "; ", with a no-break space before it in French.
func (o *out) semi() {
	if o.lang == content.FR {
		o.raw("\u00a0; ", "\u00a0; ")
	} else {
		o.raw("; ", "; ")
	}
}

// reply finishes the answer. The out must not be written to afterwards:
// the strings share its memory, as strings.Builder's do.
func (o *out) reply() Reply {
	p := bytes.TrimRight(o.p, "\n ")
	h := o.h
	for bytes.HasSuffix(h, []byte("<br>")) {
		h = h[:len(h)-len("<br>")]
	}
	return Reply{Plain: unsafe.String(unsafe.SliceData(p), len(p)), HTML: unsafe.String(unsafe.SliceData(h), len(h))}
}
