package commands

import (
	"sync/atomic"

	"github.com/guidebot/guidebot/content"
)

// Engine answers command lines. It is safe for concurrent use; SetContent
// swaps the content for every later Handle at once.
type Engine struct {
	st   atomic.Pointer[state]
	opts options
}

type options struct {
	version, commit string
	sourceURL       content.URL
	lang            content.Lang // the operator's default language
	prefix          string       // the operator's default prefix
}

// defaultOf is the operator's default for d.
func (o *options) defaultOf(d *SettingDef) string {
	switch d {
	case SettingLanguage:
		return string(o.lang)
	case SettingPrefix:
		return o.prefix
	}
	return d.Default
}

// Option configures an Engine.
type Option func(*options)

// WithVersion sets the bot version and commit that about shows.
func WithVersion(version, commit string) Option {
	return func(o *options) { o.version, o.commit = version, commit }
}

// WithSourceURL sets the source-code URL that about shows: the operator's
// setting (bot.source_url) or a value set when building. Without it, or
// with "", about says nothing about source code.
func WithSourceURL(url string) Option {
	return func(o *options) { o.sourceURL = content.URL(url) }
}

// WithDefaults sets the operator's default language and prefix
// (bot.default_language, bot.prefix), which help shows and which a room
// without settings of its own gets.
func WithDefaults(lang content.Lang, prefix string) Option {
	return func(o *options) {
		if lang == content.EN || lang == content.FR {
			o.lang = lang
		}
		if ValidPrefix(prefix) {
			o.prefix = prefix
		}
	}
}

// New returns an engine over set.
func New(set *content.Set, opts ...Option) *Engine {
	e := &Engine{opts: options{version: "dev", lang: content.EN, prefix: defaultPrefix}}
	for _, o := range opts {
		o(&e.opts)
	}
	e.SetContent(set)
	return e
}

// SetContent swaps the content, after a reload. The answers that do not
// depend on the room are rendered here, once, rather than on every command.
func (e *Engine) SetContent(set *content.Set) {
	if set == nil {
		set = &content.Set{}
	}
	e.st.Store(newState(set, &e.opts))
}

// Content returns the content the engine answers from.
func (e *Engine) Content() *content.Set { return e.st.Load().set }
