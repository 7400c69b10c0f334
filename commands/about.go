package commands

import "github.com/guidebot/guidebot/content"

// privacyGuides is the page the recommendations follow, in each language.
var privacyGuides = content.Text{
	EN: "https://www.privacyguides.org/en/real-time-communication/",
	FR: "https://www.privacyguides.org/fr/real-time-communication/",
}

func runAbout(c *call) (Reply, bool) { return c.cached(c.ls.about), false }

// renderAbout is the about answer: what the bot is, its content and sources,
// its code and version.
func (st *state) renderAbout(lang content.Lang) Reply {
	o := newOut(lang, prefixMark, 1024)
	o.bold("guidebot")
	o.dash()
	o.tr(kAboutWhat)
	o.gap()
	o.label(kContentVersion)
	o.text(st.set.Version())
	o.nl()
	o.label(kContentReviewed)
	if d := st.set.Reviewed(); d.IsZero() {
		o.tr(kNothingYet)
	} else {
		o.date(d.Time)
	}
	o.nl()
	o.label(kSources)
	o.link("Privacy Guides", content.URL(privacyGuides.In(lang)), true)
	o.text(", ")
	o.tr(kEachFactSource)
	o.nl()
	// Only the operator knows where the code of the build it runs lives.
	if st.opts.sourceURL != "" {
		o.label(kSourceCodeLabel)
		o.link(string(st.opts.sourceURL), st.opts.sourceURL, false)
		o.nl()
	}
	o.label(kBotVersion)
	o.text(st.opts.version)
	if st.opts.commit != "" {
		o.text(" (")
		o.text(st.opts.commit)
		o.text(")")
	}
	o.gap()
	o.tr(kAboutHelp)
	o.colon()
	o.cmd(byName["help"].NameIn(lang))
	return o.reply()
}
