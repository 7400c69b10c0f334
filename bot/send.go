package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/commands"
)

// outgoing is one event the bot sends: a message (content set) or a
// redaction (redacts set).
type outgoing struct {
	room    id.RoomID
	content *event.Content
	redacts id.EventID
	// txnID is the transaction ID: the same on every try of one piece of
	// work, so that the homeserver drops a repeat of a send it stored but
	// whose response was lost (see txnID).
	txnID string
}

// answerMarker is a field every answer carries with the ID of the command
// it answers, so that after a crash the answer can be found in the room
// even where it has no reply relation (replies: plain).
const answerMarker = "org.guidebot.answer_to"

// send is the one function that puts the bot's events on the homeserver:
// answers, edits, redactions, notices and announcements all go through it.
// It encrypts in encrypted rooms and makes one attempt; retrying, with the
// same transaction ID, is the outbox's job.
func (b *Bot) send(ctx context.Context, o outgoing) (id.EventID, error) {
	cli := b.client
	var path string
	var body any
	if o.redacts != "" {
		path = cli.BuildClientURL("v3", "rooms", o.room, "redact", o.redacts, o.txnID)
		body = map[string]any{}
	} else {
		evtType := event.EventMessage
		body = o.content
		encrypted, err := cli.StateStore.IsEncrypted(ctx, o.room)
		if err != nil {
			return "", fmt.Errorf("checking whether the room is encrypted: %w", err)
		}
		// Without encryption the bot can only say so, in the clear (the
		// notice that it cannot read the room).
		if encrypted && b.crypto != nil {
			enc, err := b.crypto.Encrypt(ctx, o.room, evtType, o.content)
			if err != nil {
				return "", fmt.Errorf("encrypting: %w", err)
			}
			evtType, body = event.EventEncrypted, enc
		}
		path = cli.BuildClientURL("v3", "rooms", o.room, "send", evtType.String(), o.txnID)
	}
	var resp mautrix.RespSendEvent
	_, err := cli.MakeFullRequest(ctx, mautrix.FullRequest{
		Method:       http.MethodPut,
		URL:          path,
		RequestJSON:  body,
		ResponseJSON: &resp,
		MaxAttempts:  1,
		// Answers can quote what people wrote: keep them out of debug logs.
		SensitiveContent: true,
	})
	if err != nil {
		return "", err
	}
	return resp.EventID, nil
}

// txnID is the transaction ID of one piece of work, derived from what it
// is (kind) and what asked for it (key, e.g. the command's event ID), so
// that every try, before and after a restart, uses the same one.
func txnID(kind, key string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + key))
	return "guidebot_" + hex.EncodeToString(sum[:16])
}

// notice is an m.notice with the reply's plain and HTML bodies.
func notice(plain, html string) *event.MessageEventContent {
	c := &event.MessageEventContent{MsgType: event.MsgNotice, Body: plain}
	if html != "" {
		c.Format = event.FormatHTML
		c.FormattedBody = html
	}
	return c
}

// answerContent is the answer to cmd, related to it as the room's replies
// setting asks: in its thread and as a reply (thread), as a reply only
// (reply), or not at all (plain). The reply relation mentions nobody. key
// is the outbox row it answers, carried in answerMarker.
func answerContent(cmd *event.Event, key id.EventID, reply commands.Reply, replies string) *event.Content {
	c := notice(reply.Plain, reply.HTML)
	msg, _ := cmd.Content.Parsed.(*event.MessageEventContent)
	inThread := msg != nil && msg.RelatesTo.GetThreadParent() != ""
	switch replies {
	case "plain":
		c.Mentions = &event.Mentions{}
	case "reply":
		c.SetReply(cmd)
	default: // thread
		if inThread {
			c.SetThread(cmd)
		}
		c.SetReply(cmd)
	}
	return &event.Content{Parsed: c, Raw: map[string]any{answerMarker: key.String()}}
}

// editContent replaces the bot's answer with a new one.
func editContent(answer id.EventID, reply commands.Reply) *event.Content {
	c := notice(reply.Plain, reply.HTML)
	c.Mentions = &event.Mentions{}
	c.SetEdit(answer)
	return &event.Content{Parsed: c}
}

// announcementContent is an announcement: no relation, no mention.
func announcementContent(reply commands.Reply) *event.Content {
	c := notice(reply.Plain, reply.HTML)
	c.Mentions = &event.Mentions{}
	return &event.Content{Parsed: c}
}

// replyNotice is a short notice in reply to evt (undecryptable messages,
// flood warnings).
func replyNotice(evt *event.Event, plain string) *event.Content {
	c := notice(plain, html.EscapeString(plain))
	c.SetReply(evt)
	return &event.Content{Parsed: c}
}
