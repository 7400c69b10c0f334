package commands

import (
	"strconv"

	"github.com/guidebot/guidebot/content"
)

func runSettings(c *call) (Reply, bool) {
	o := c.out(1024)
	o.bold(tr(c.lang, kSettingsTitle))
	settingsList(&o, &c.settings, c.st.opts)
	o.tr(kChangeOne)
	o.colon()
	o.cmd(usage(byName["set"], c.lang))
	o.text(" (")
	o.tr(kExample)
	o.colon()
	o.cmd(byName["set"].Example.In(c.lang))
	o.text(")")
	return o.reply(), false
}

// mayChange asks the room whether the sender may change settings. When not,
// it returns the refusal to send.
func (c *call) mayChange() (refusal Reply, ok bool) {
	if c.room == nil {
		return c.simple(kCannotCheck), false
	}
	allowed, needed, err := c.room.MayChangeSettings(c.ctx)
	if err != nil {
		return c.simple(kCannotCheck), false
	}
	if !allowed {
		return c.simple(kNeedPower, strconv.Itoa(needed)), false
	}
	return Reply{}, true
}

func runSet(c *call) (Reply, bool) {
	if r, ok := c.mayChange(); !ok {
		return r, true
	}
	if len(c.args) == 0 {
		return c.cached(c.ls.helpCmd[c.cmd]), true
	}
	d := LookupSetting(c.args[0])
	if d == nil {
		o := c.out(512)
		o.tr(kUnknownSetting)
		o.text(" ")
		o.quote(c.args[0])
		o.nl()
		o.tr(kSettingsAre)
		o.colon()
		for i, d := range SettingDefs {
			if i > 0 {
				o.text(", ")
			}
			o.code(d.Key)
		}
		return o.reply(), true
	}
	if len(c.args) == 1 {
		// "set language": say what it is and what it may be.
		o := c.out(512)
		settingLine(&o, d, c.settings)
		return o.reply(), false
	}
	raw := joinArgs(c.args[1:])
	value, ok := d.Normalize(raw)
	if !ok {
		o := c.out(512)
		o.quote(raw)
		o.text(" ")
		o.text(trf(c.lang, kBadValue, d.Name(c.lang)))
		o.nl()
		settingLine(&o, d, c.settings)
		return o.reply(), true
	}
	return c.apply(d, value)
}

// settingLine writes a setting's current and allowed values.
func settingLine(o *out, d *SettingDef, s Settings) {
	o.code(d.Key)
	o.text(" = ")
	o.bold(d.Current(s))
	o.dash()
	o.t(d.Desc)
	o.nl()
	allowedValues(o, d)
}

// allowedValues writes "values: a (what a means), b (…)" for a setting.
func allowedValues(o *out, d *SettingDef) {
	o.tr(kValues)
	o.colon()
	if d.Values == nil {
		o.t(d.Allowed)
		return
	}
	for i, v := range d.Values {
		if i > 0 {
			o.text(", ")
		}
		o.code(v.Value)
		o.text(" (")
		o.t(v.Desc)
		o.text(")")
	}
}

// apply stores a validated value and confirms, in the new language when
// the language is what changed.
func (c *call) apply(d *SettingDef, value string) (Reply, bool) {
	if d.Current(c.settings) == value {
		return c.simple(kAlready, d.Name(c.lang), value), false
	}
	if err := c.room.SetSetting(c.ctx, d.Key, value); err != nil {
		return c.simple(kCannotSave), true
	}
	switch d {
	case SettingLanguage:
		c.lang = content.Lang(value)
		c.ls = c.st.lang(c.lang)
	case SettingPrefix:
		c.prefix = value
	}
	o := c.out(512)
	o.text(trf(c.lang, kSettingDone, d.Name(c.lang)))
	o.text(" ")
	o.code(value)
	o.text(".")
	switch d {
	case SettingPrefix:
		o.text(" ")
		o.tr(kPrefixNow)
		o.text(" ")
		o.cmd(byName["help"].NameIn(c.lang))
		o.text(".")
	case SettingAnnouncements:
		o.text(" ")
		if value == "on" {
			o.tr(kSubscribed)
		} else {
			o.tr(kUnsubscribed)
		}
	}
	return o.reply(), false
}

func runSubscribe(c *call) (Reply, bool)   { return c.announcements("on") }
func runUnsubscribe(c *call) (Reply, bool) { return c.announcements("off") }

func (c *call) announcements(value string) (Reply, bool) {
	if r, ok := c.mayChange(); !ok {
		return r, true
	}
	return c.apply(SettingAnnouncements, value)
}
