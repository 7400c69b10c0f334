package commands

import (
	"context"
	"strings"
	"unicode"

	"github.com/guidebot/guidebot/content"
)

// call is one command being answered.
type call struct {
	ctx      context.Context
	st       *state
	ls       *langState
	lang     content.Lang
	prefix   string
	room     Room
	settings Settings
	cmd      *Command
	args     []string
}

// out starts an answer in the call's language and prefix.
func (c *call) out(size int) out { return newOut(c.lang, c.prefix, size) }

// cached serves an answer rendered once per content set, with the room's
// prefix put in.
func (c *call) cached(k kept) Reply {
	if c.prefix == c.st.opts.prefix {
		return k.ready
	}
	return withPrefix(k.marked, c.prefix)
}

// Handle answers req. ok is false when the line is not addressed to the bot,
// which then stays silent.
func (e *Engine) Handle(ctx context.Context, req Request) (reply Reply, ok bool) {
	var settings Settings
	if req.Room != nil {
		settings = req.Room.Settings()
	}
	prefix := settings.Prefix
	if !ValidPrefix(prefix) {
		prefix = e.opts.prefix
	}
	// Most lines in a room are not for the bot: decide that before any work.
	p := parse(req.Text, prefix, req.BotNames, req.Direct)
	if p.via == viaNone {
		return Reply{}, false
	}
	st := e.st.Load()
	c := &call{ctx: ctx, st: st, room: req.Room, settings: settings, prefix: prefix}
	c.lang = settings.Language
	if c.lang != content.EN && c.lang != content.FR {
		c.lang = e.opts.lang
	}
	c.ls = st.lang(c.lang)
	// Show and compare the settings in effect, not a broken stored value.
	c.settings.Language, c.settings.Prefix = c.lang, prefix
	if _, ok := SettingReplies.Normalize(c.settings.Replies); !ok {
		c.settings.Replies = SettingReplies.Default
	}

	// In a room, "!" is shared with other bots and with exclamations: stay
	// silent unless the word is ours, or nearly ours.
	quiet := p.via == viaPrefix && !req.Direct || p.via == viaNameWeak
	if p.word == "" {
		if quiet {
			return Reply{}, false
		}
		return c.hint(""), true
	}
	c.cmd = lookup(p.word)
	if c.cmd == nil {
		// A messenger's name alone answers like `messenger NAME`.
		if p.err == errNone && len(p.args) < 3 && startsWithLetter(p.word) {
			name := p.word
			if len(p.args) > 0 {
				name = p.word + " " + strings.Join(p.args, " ")
			}
			if m := st.find(name); m != nil {
				c.cmd = byName["messenger"]
				return c.done(c.cached(c.ls.cards[m.ID]), false), true
			}
		}
		if s := suggestCommand(p.word); s != nil && startsWithLetter(p.word) {
			return c.unknownCommand(p.word, s), true
		}
		if quiet {
			return Reply{}, false
		}
		return c.hint(strings.TrimSpace(p.word + " " + strings.Join(p.args, " "))), true
	}
	if p.err != errNone {
		return c.done(c.limitError(p.err), true), true
	}
	c.args = p.args
	r, failed := c.cmd.run(c)
	return c.done(r, failed), true
}

// done stamps the reply with the command's name and outcome.
func (c *call) done(r Reply, failed bool) Reply {
	if c.cmd != nil {
		r.Command = c.cmd.Name
	}
	r.Failed = failed
	return r
}

func startsWithLetter(s string) bool {
	for _, r := range s {
		return unicode.IsLetter(r)
	}
	return false
}
