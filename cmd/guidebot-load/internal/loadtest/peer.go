package loadtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
)

const (
	accountPassword = "load test password"
	peerPickleKey   = "load test pickle key"

	// answerTimeout bounds every wait for one answer or delivery.
	answerTimeout = 30 * time.Second
)

// driverTransport carries the load generator's requests: hundreds of
// clients share it, so it keeps more idle connections than the default
// (2 per host), which would open a new TCP connection per request.
// The echo client does not use it: it keeps mautrix's defaults, like the bot.
var driverTransport = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:        4096,
	MaxIdleConnsPerHost: 4096,
	IdleConnTimeout:     90 * time.Second,
}

// peer is one Matrix client of the tool: an observer, a sender or the echo
// client, with its own crypto store in encrypted runs.
type peer struct {
	name   string
	cli    *mautrix.Client
	crypto *cryptohelper.CryptoHelper

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// newPeer makes a client for a registered account; with encrypted, it
// sets up cryptohelper on a SQLite store of its own (uploading its keys).
func newPeer(ctx context.Context, hsURL string, l *bottest.Login, name string, encrypted, ownTransport bool, dir string, log zerolog.Logger) (*peer, error) {
	cli, err := mautrix.NewClient(hsURL, id.UserID(l.UserID), l.AccessToken)
	if err != nil {
		return nil, err
	}
	cli.DeviceID = id.DeviceID(l.DeviceID)
	cli.Log = log.With().Str("who", name).Logger()
	cli.DefaultHTTPRetries = 3
	if ownTransport {
		cli.Client = &http.Client{Transport: driverTransport, Timeout: 180 * time.Second}
	}
	p := &peer{name: name, cli: cli}
	if encrypted {
		ch, err := cryptohelper.NewCryptoHelper(cli, []byte(peerPickleKey), filepath.Join(dir, name+".db"))
		if err != nil {
			return nil, err
		}
		if err := ch.Init(ctx); err != nil {
			return nil, fmt.Errorf("%s: setting up encryption: %w", name, err)
		}
		cli.Crypto = ch
		p.crypto = ch
	} else {
		cli.StateStore = mautrix.NewMemoryStateStore()
		cli.Syncer.(*mautrix.DefaultSyncer).OnEvent(cli.StateStoreSyncHandler)
	}
	return p, nil
}

func (p *peer) syncer() *mautrix.DefaultSyncer { return p.cli.Syncer.(*mautrix.DefaultSyncer) }

// startSync syncs in the background until close, starting again after
// errors (the homeserver is busy, not gone).
func (p *peer) startSync() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p.mu.Lock()
	p.cancel, p.done = cancel, done
	p.mu.Unlock()
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := p.cli.SyncWithContext(ctx); err != nil && ctx.Err() == nil {
				p.cli.Log.Warn().Err(err).Msg("sync stopped; starting again")
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
}

// stopSync ends the background sync (startSync resumes it from where it
// stopped: the token is kept).
func (p *peer) stopSync() {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel = nil
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}
}

func (p *peer) close() {
	p.stopSync()
	if p.crypto != nil {
		_ = p.crypto.Close()
	}
}

// say sends a text message and returns its event ID.
func (p *peer) say(ctx context.Context, room id.RoomID, text string) (id.EventID, error) {
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	resp, err := p.cli.SendMessageEvent(ctx, room, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText, Body: text})
	if err != nil {
		return "", err
	}
	return resp.EventID, nil
}
