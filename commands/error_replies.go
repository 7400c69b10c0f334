package commands

import "strconv"

// simple is a one-sentence answer from the catalog.
func (c *call) simple(k key, args ...string) Reply {
	o := c.out(256)
	o.text(trf(c.lang, k, args...))
	return o.reply()
}

// usageError refuses bad arguments: what was wrong, then the command's
// usage and example.
func (c *call) usageError(k key, args ...string) (Reply, bool) {
	o := c.out(512)
	o.text(trf(c.lang, k, args...))
	o.nl()
	o.label(kUsage)
	o.cmd(usage(c.cmd, c.lang))
	o.nl()
	o.label(kExample)
	o.cmd(c.cmd.Example.In(c.lang))
	return o.reply(), true
}

// limitError refuses a line that broke one of the parser's limits.
func (c *call) limitError(e parseErr) Reply {
	switch e {
	case errLineTooLong:
		return c.simple(kLineTooLong, strconv.Itoa(maxLineBytes))
	case errTooManyArgs:
		return c.simple(kTooManyArgs, strconv.Itoa(maxArgs))
	default:
		return c.simple(kArgTooLong, strconv.Itoa(maxArgBytes))
	}
}

// unknownCommand answers a command word that is a typo of a known one.
func (c *call) unknownCommand(word string, s *Command) Reply {
	o := c.out(256)
	o.tr(kUnknownCommand)
	o.text(" ")
	o.quote(word)
	o.dash()
	o.tr(kDidYouMean)
	o.text(" ")
	o.cmd(s.NameIn(c.lang))
	o.text(tr(c.lang, kQuestionMark))
	r := o.reply()
	r.Failed = true
	return r
}

// hint answers a line addressed to the bot that is neither a command nor a
// messenger: a near-miss messenger name gets its suggestion, anything else
// a pointer to help. text is what was typed, "" when nothing was.
func (c *call) hint(text string) Reply {
	if text != "" && len(text) <= maxArgBytes {
		if s := c.st.suggest(text); s != nil {
			r := c.unknownMessenger(text, s)
			r.Failed = true
			return r
		}
	}
	o := c.out(256)
	o.tr(kHint)
	o.text(" ")
	o.cmd(byName["help"].NameIn(c.lang))
	o.text(" ")
	o.tr(kHintOr)
	o.text(" ")
	o.cmd(byName["messenger"].NameIn(c.lang) + " signal")
	o.text(".")
	r := o.reply()
	r.Failed = text != ""
	return r
}
