package commands

import (
	"context"
	"html"
	"strings"

	"github.com/guidebot/guidebot/content"
)

// Engine is a TEMPORARY stub so that the bot package can compile while the
// real engine is written. It answers "!ping" only.
type Engine struct{ set *content.Set }

// New returns an engine over the given content.
func New(set *content.Set) *Engine { return &Engine{set: set} }

// SetContent swaps the content (after a reload).
func (e *Engine) SetContent(set *content.Set) { e.set = set }

// Handle answers req; ok is false when the text is not addressed to the bot.
func (e *Engine) Handle(ctx context.Context, req Request) (reply Reply, ok bool) {
	s := req.Room.Settings()
	t := strings.TrimSpace(req.Text)
	if !strings.HasPrefix(t, s.Prefix) && !req.Direct {
		return Reply{}, false
	}
	t = strings.TrimPrefix(t, s.Prefix)
	return Reply{Plain: "echo: " + t, HTML: "echo: " + html.EscapeString(t), Command: "echo"}, true
}
