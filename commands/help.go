package commands

import (
	"strings"

	"github.com/guidebot/guidebot/content"
)

func runHelp(c *call) (Reply, bool) {
	if len(c.args) == 0 {
		return c.cached(c.ls.help), false
	}
	name := strings.TrimPrefix(c.args[0], c.prefix)
	cmd := lookup(name)
	if cmd == nil {
		o := c.out(1024)
		o.tr(kUnknownCommand)
		o.text(" ")
		o.quote(name)
		if s := suggestCommand(name); s != nil {
			o.dash()
			o.tr(kDidYouMean)
			o.text(" ")
			o.cmd(s.NameIn(c.lang))
			o.text(tr(c.lang, kQuestionMark))
		}
		o.nl()
		o.tr(kCommandsAre)
		o.colon()
		for i, cmd := range commandList {
			if i > 0 {
				o.text(", ")
			}
			o.code(cmd.NameIn(c.lang))
		}
		return o.reply(), true
	}
	return c.cached(c.ls.helpCmd[cmd]), false
}

// usage is a command's name and arguments in lang.
func usage(c *Command, lang content.Lang) string {
	if a := c.Args.In(lang); a != "" {
		return c.NameIn(lang) + " " + a
	}
	return c.NameIn(lang)
}

// renderHelp is the help answer: every command, one line each, generated
// from the declarations.
func (st *state) renderHelp(lang content.Lang) Reply {
	o := newOut(lang, prefixMark, 2048)
	for _, admin := range []bool{false, true} {
		if admin {
			o.bold(tr(lang, kHelpAdmin))
		} else {
			o.bold(tr(lang, kHelpTitle))
		}
		o.ul()
		for _, c := range commandList {
			if c.Admin != admin {
				continue
			}
			o.li()
			o.cmd(usage(c, lang))
			o.dash()
			o.t(c.Desc)
			o.eli()
		}
		o.eul()
	}
	o.tr(kHelpAddress)
	o.nl()
	o.tr(kHelpMore)
	o.colon()
	o.cmd(byName["help"].NameIn(lang) + " " + tr(lang, kCommandArg))
	return o.reply()
}

// renderHelpCmd is `help CMD`: usage, description, other names, example,
// and what the arguments may be.
func (st *state) renderHelpCmd(lang content.Lang, c *Command) Reply {
	o := newOut(lang, prefixMark, 1024)
	o.h = append(o.h, "<b>"...)
	o.cmd(usage(c, lang))
	o.h = append(o.h, "</b>"...)
	o.dash()
	o.t(c.Desc)
	o.nl()
	o.label(kAlso)
	names := append([]string{c.Name, c.FR}, c.Aliases...)
	first := true
	for _, n := range names {
		if n == c.NameIn(lang) {
			continue
		}
		if !first {
			o.text(", ")
		}
		first = false
		o.cmd(n)
	}
	o.nl()
	o.label(kExample)
	o.cmd(c.Example.In(lang))
	o.nl()
	switch c.Name {
	case "messenger", "compare":
		o.label(kKnownMessengers)
		o.text(st.usersOf(func(*content.Messenger) bool { return true }))
		o.nl()
	case "recommend":
		o.head(kNeeds)
		o.ul()
		for _, n := range content.Needs {
			o.li()
			o.code(n.NameIn(lang))
			o.dash()
			o.t(n.Name)
			o.eli()
		}
		o.eul()
	case "networks":
		o.head(kTypes)
		o.ul()
		for _, n := range st.set.Networks {
			o.li()
			o.code(n.ID)
			o.dash()
			o.t(n.Name)
			o.eli()
		}
		o.eul()
	case "set", "settings":
		o.head(kSettingsList)
		settingsList(&o, nil, st.opts)
		if c.Name == "set" {
			o.tr(kNeedsPower)
		}
	}
	return o.reply()
}

// settingsList writes every setting with its allowed values and default,
// and its value in the room when current is set.
func settingsList(o *out, current *Settings, opts *options) {
	o.ul()
	for _, d := range SettingDefs {
		o.li()
		o.code(d.Key)
		if o.lang == content.FR {
			o.text(" (")
			o.code(d.FR)
			o.text(")")
		}
		if current != nil {
			o.text(" = ")
			o.bold(d.Current(*current))
		}
		o.dash()
		o.t(d.Desc)
		o.sep()
		allowedValues(o, d)
		if current == nil {
			o.sep()
			o.tr(kDefault)
			o.colon()
			o.code(opts.defaultOf(d))
		}
		o.eli()
	}
	o.eul()
}
