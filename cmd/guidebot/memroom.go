package main

import (
	"context"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// memRoom is the console's room: settings live in memory, and the person at
// the keyboard may change them, as in a direct message.
type memRoom struct {
	settings commands.Settings
}

func newMemRoom(lang content.Lang) *memRoom {
	return &memRoom{settings: commands.DefaultSettings(lang, "!")}
}

func (r *memRoom) Settings() commands.Settings { return r.settings }

func (r *memRoom) MayChangeSettings(context.Context) (bool, int, error) { return true, 0, nil }

func (r *memRoom) SetSetting(_ context.Context, key, value string) error {
	return r.settings.Apply(key, value)
}

func (r *memRoom) request(text string) commands.Request {
	return commands.Request{Text: text, Room: r, Direct: true, BotNames: []string{"guidebot"}}
}
