package commands

import (
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/guidebot/guidebot/content"
)

// SettingDef declares one room setting. Validation, the settings answer
// and `help set` are all generated from SettingDefs; the bot uses them to
// check stored values and fill in defaults.
type SettingDef struct {
	Key     string         // as stored and as passed to Room.SetSetting
	FR      string         // the French name, also accepted by set
	Values  []SettingValue // the allowed values; nil when Check decides
	Allowed content.Text   // what Check accepts, for messages; when Values is nil
	Check   func(string) bool
	Default string // the bot's default, unless Operator is set
	// Operator is the config key whose value is the default instead of
	// Default; "" when the operator cannot change the default.
	Operator string
	// Commands are the commands that also change the setting.
	Commands []string
	Desc     content.Text

	get func(Settings) string
	set func(*Settings, string) // value already normalized
}

// SettingValue is one allowed value of a setting.
type SettingValue struct {
	Value   string
	Aliases []string // more spellings users may type, compared folded
	Desc    content.Text
}

// defaultPrefix is the prefix a room without a valid one of its own gets.
const defaultPrefix = "!"

// The room settings, declared once. The bot stores them under Key; use
// these (SettingLanguage.Key, …) rather than spelling a key again.
var (
	SettingLanguage = &SettingDef{Key: "language", FR: "langue", Default: "en", Operator: "bot.default_language",
		Desc: content.Text{EN: "the language the bot answers in", FR: "la langue des réponses du bot"},
		Values: []SettingValue{
			{Value: "en", Aliases: []string{"english", "anglais"}, Desc: content.Text{EN: "English", FR: "anglais"}},
			{Value: "fr", Aliases: []string{"french", "francais"}, Desc: content.Text{EN: "French", FR: "français"}},
		},
		get: func(s Settings) string { return string(s.Language) },
		set: func(s *Settings, v string) { s.Language = content.Lang(v) }}
	SettingPrefix = &SettingDef{Key: "prefix", FR: "prefixe", Default: defaultPrefix, Operator: "bot.prefix",
		Desc:    content.Text{EN: "what commands start with", FR: "ce par quoi les commandes commencent"},
		Allowed: content.Text{EN: "1 to 3 characters that are neither letters, digits nor spaces, e.g. ! or ? or !!", FR: "1 à 3 caractères qui ne sont ni des lettres, ni des chiffres, ni des espaces, p. ex. ! ou ? ou !!"},
		Check:   ValidPrefix,
		get:     func(s Settings) string { return s.Prefix },
		set:     func(s *Settings, v string) { s.Prefix = v }}
	SettingReplies = &SettingDef{Key: "replies", FR: "reponses", Default: "thread",
		Desc: content.Text{EN: "how answers relate to the command", FR: "comment les réponses se rattachent à la commande"},
		Values: []SettingValue{
			{Value: "thread", Aliases: []string{"fil", "threads"}, Desc: content.Text{EN: "a reply, inside the command's thread if it has one", FR: "une réponse, dans le fil de la commande s'il y en a un"}},
			{Value: "reply", Aliases: []string{"reponse"}, Desc: content.Text{EN: "a reply, never in a thread", FR: "une réponse, jamais dans un fil"}},
			{Value: "plain", Aliases: []string{"simple"}, Desc: content.Text{EN: "a plain message", FR: "un simple message"}},
		},
		get: func(s Settings) string { return s.Replies },
		set: func(s *Settings, v string) { s.Replies = v }}
	SettingAnnouncements = &SettingDef{Key: "announcements", FR: "annonces", Default: "off", Commands: []string{"subscribe", "unsubscribe"},
		Desc: content.Text{EN: "a message here when the recommendations change", FR: "un message ici quand les recommandations changent"},
		Values: []SettingValue{
			{Value: "on", Aliases: []string{"oui", "yes", "true", "active"}, Desc: content.Text{EN: "announce", FR: "activées"}},
			{Value: "off", Aliases: []string{"non", "no", "false", "desactive"}, Desc: content.Text{EN: "stay quiet", FR: "désactivées"}},
		},
		get: func(s Settings) string {
			if s.Announcements {
				return "on"
			}
			return "off"
		},
		set: func(s *Settings, v string) { s.Announcements = v == "on" }}
)

// SettingDefs are the room settings, in display order.
var SettingDefs = []*SettingDef{SettingLanguage, SettingPrefix, SettingReplies, SettingAnnouncements}

// LookupSetting returns the setting named key (English or French, folded),
// or nil.
func LookupSetting(key string) *SettingDef {
	f := content.Fold(key)
	for _, d := range SettingDefs {
		if f == d.Key || f == content.Fold(d.FR) {
			return d
		}
	}
	return nil
}

// Normalize returns the canonical form of value, and whether the setting
// allows it. The bot calls it on stored values too.
func (d *SettingDef) Normalize(value string) (string, bool) {
	if d.Values == nil {
		return value, d.Check(value)
	}
	f := content.Fold(value)
	for _, v := range d.Values {
		if f == v.Value || slices.ContainsFunc(v.Aliases, func(a string) bool { return content.Fold(a) == f }) {
			return v.Value, true
		}
	}
	return "", false
}

// Name is the setting's name in lang.
func (d *SettingDef) Name(lang content.Lang) string {
	if lang == content.FR {
		return d.FR
	}
	return d.Key
}

// Apply sets key to value in s, after checking and normalizing the value
// against the setting's declaration. Rooms call it on stored values too, so
// a value that is no longer valid falls back to the default.
func (s *Settings) Apply(key, value string) error {
	d := LookupSetting(key)
	if d == nil || d.Key != key {
		return fmt.Errorf("unknown setting %q", key)
	}
	v, ok := d.Normalize(value)
	if !ok {
		return fmt.Errorf("invalid value %q for setting %s", value, key)
	}
	d.set(s, v)
	return nil
}

// DefaultSettings are the settings of a room that changed none, given the
// operator's default language and prefix.
func DefaultSettings(lang content.Lang, prefix string) Settings {
	s := Settings{Language: lang, Prefix: prefix}
	for _, d := range SettingDefs {
		if d.Operator == "" {
			d.set(&s, d.Default)
		}
	}
	return s
}

// Current returns the setting's value in s.
func (d *SettingDef) Current(s Settings) string { return d.get(s) }

// ValidPrefix reports whether p may be a room's prefix: 1 to 3 visible
// characters that are neither letters, digits nor spaces, so that it can
// never be mistaken for the start of a sentence.
func ValidPrefix(p string) bool {
	n := utf8.RuneCountInString(p)
	if n < 1 || n > 3 || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) {
			return false
		}
	}
	return true
}
