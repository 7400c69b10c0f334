package commands

import (
	"context"

	"github.com/guidebot/guidebot/content"
)

// Settings are one room's settings as the engine sees them.
type Settings struct {
	Language      content.Lang
	Prefix        string
	Replies       string // thread | reply | plain
	Announcements bool
}

// Room is what the engine needs from the place a command was sent to.
// The bot implements it over its database; the console over memory.
type Room interface {
	// Settings returns the room's current settings (defaults filled in).
	Settings() Settings
	// MayChangeSettings reports whether the sender may change settings here,
	// and which power level that takes.
	MayChangeSettings(ctx context.Context) (ok bool, needed int, err error)
	// SetSetting stores an already validated value.
	SetSetting(ctx context.Context, key, value string) error
}

// Request is one incoming line.
type Request struct {
	Text   string
	Room   Room
	Direct bool // a direct message: the prefix is optional
	// BotNames are the names the bot answers to when addressed
	// ("guidebot: help"): its localpart, display name and full user ID.
	BotNames []string
}

// Reply is the engine's answer.
type Reply struct {
	Plain   string // the readable plain-text body
	HTML    string // formatted_body
	Command string // the command's canonical name, for metrics; "" when none matched
	Failed  bool   // the command was refused (unknown name, bad arguments)
}
