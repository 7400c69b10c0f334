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
	return &memRoom{settings: commands.Settings{Language: lang, Prefix: "!", Replies: "thread"}}
}

func (r *memRoom) Settings() commands.Settings { return r.settings }

func (r *memRoom) MayChangeSettings(context.Context) (bool, int, error) { return true, 0, nil }

func (r *memRoom) SetSetting(_ context.Context, key, value string) error {
	// The engine validated value against the setting's declaration.
	switch key {
	case "language":
		r.settings.Language = content.Lang(value)
	case "prefix":
		r.settings.Prefix = value
	case "replies":
		r.settings.Replies = value
	case "announcements":
		r.settings.Announcements = value == "on"
	}
	return nil
}

func (r *memRoom) request(text string) commands.Request {
	return commands.Request{Text: text, Room: r, Direct: true, BotNames: []string{"guidebot"}}
}
