// Package bot is guidebot's Matrix runtime: login, sync, encryption, the
// database of room settings, and the glue that hands each incoming line to
// the commands engine and sends its answer back.
//
// Where things are: bot.go runs the bot (start, sync loop, shutdown);
// login.go connects and sets up encryption; syncer.go turns each sync
// response into outbox rows before its token is saved; timeline.go drops
// old events and fills gaps; messages.go and membership.go decide what an
// event asks for; outbox.go and jobs.go do that work, room by room; send.go
// is the one function that sends the bot's events (receipts.go sends its
// read receipts, which are not room events, apart); the *_table.go files
// hold the SQL of each table.
package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/announce"
	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/bot/metrics"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// httpRetries is how often a failed request (network error, 5xx, 429) is
// retried, with mautrix's doubling backoff starting at httpBackoff (a var
// so tests can shorten it).
const httpRetries = 4

var httpBackoff = 2 * time.Second

// Bot is one running guidebot.
type Bot struct {
	cfg    *config.Config
	log    zerolog.Logger
	engine *commands.Engine

	db       *dbutil.Database
	lock     *dbLock
	state    stateTable
	outbox   *outbox
	settings *settingsTable

	client *mautrix.Client
	crypto *cryptohelper.CryptoHelper
	syncer *syncer
	store  *deferredSyncStore

	obs           observer
	announcer     *announce.Announcer
	loadContent   func() (*content.Set, error)
	reload        <-chan struct{}
	botNames      []string
	flood         *floodLimiter
	keyWaits      *floodLimiter // undecryptable events waiting for a key, per sender
	undecryptable *noticeLimiter
	members       memberCache
	receipts      *receipts

	// transport, when set (tests), carries the client's HTTP requests.
	transport http.RoundTripper

	ready     chan struct{}
	readyOnce sync.Once
	started   atomic.Bool
	relogins  atomic.Int32 // for tests
}

// Options are what the caller wires into a bot besides its config.
type Options struct {
	// Engine answers the commands; nil means one over the built-in content.
	Engine *commands.Engine
	// Metrics and Health, when set, are kept up to date (see the metrics package).
	Metrics *metrics.Metrics
	Health  *metrics.Health
	// LoadContent reloads the content (content.dir) on the announcement
	// schedule and on Reload; nil means ContentLoader(cfg.Content).
	LoadContent func() (*content.Set, error)
	// Reload triggers a reload and announcement run at once (SIGHUP).
	Reload <-chan struct{}
}

// New prepares a bot; nothing touches the network or the database until Run.
func New(cfg *config.Config, log zerolog.Logger, opts Options) (*Bot, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Engine == nil {
		opts.Engine = commands.New(content.Builtin())
	}
	if opts.LoadContent == nil {
		opts.LoadContent = ContentLoader(cfg.Content)
	}
	b := &Bot{
		cfg:           cfg,
		log:           log,
		engine:        opts.Engine,
		obs:           observer{m: opts.Metrics, h: opts.Health},
		loadContent:   opts.LoadContent,
		reload:        opts.Reload,
		flood:         newFloodLimiter(cfg.Bot.RateLimit, time.Duration(cfg.Bot.RateLimitWindow)),
		keyWaits:      newFloodLimiter(keyWaitMax, keyWaitWindow),
		undecryptable: newNoticeLimiter(undecryptableEvery),
		members:       memberCache{counts: map[id.RoomID]int{}},
		ready:         make(chan struct{}),
	}
	b.receipts = newReceipts(func(ctx context.Context, room id.RoomID, evt id.EventID) error {
		return b.client.MarkRead(ctx, room, evt)
	})
	return b, nil
}

// SetContent swaps the content the commands answer from (after a reload).
func (b *Bot) SetContent(set *content.Set) { b.engine.SetContent(set) }

// Ready is closed after the first successful sync.
func (b *Bot) Ready() <-chan struct{} { return b.ready }

// Run connects, serves until ctx is cancelled and then shuts down cleanly:
// the sync batch in progress is finished, the database closed. Transient
// homeserver errors never make it return; a revoked token or a broken
// database does.
func (b *Bot) Run(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("bot already ran")
	}
	if err := b.start(ctx); err != nil {
		b.close()
		return err
	}
	defer b.close()
	b.log.Info().Stringer("user_id", b.client.UserID).Stringer("device_id", b.client.DeviceID).
		Bool("encryption", b.crypto != nil).Msg("Connected, syncing")
	// The work under way goes on until shutdownGrace after ctx ends; then
	// its requests are cancelled, and what is left stays pending in the
	// outbox for the next start.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancelWork) })
	defer stopGrace()
	b.syncer.work = work
	b.outbox.work = work
	defer b.outbox.close()
	if err := b.outbox.resume(ctx); err != nil {
		return err
	}
	// The announcer stops with ctx; wait for it before the database closes.
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); b.runAnnouncements(ctx, b.reload, b.loadContent) }()
	go func() { defer wg.Done(); b.pruneDaily(ctx) }()
	go func() { defer wg.Done(); b.receipts.run(b.log.WithContext(ctx)) }()
	defer wg.Wait()
	return b.syncLoop(ctx)
}

func (b *Bot) start(ctx context.Context) error {
	var err error
	if b.db, b.lock, err = openDatabase(ctx, b.cfg.Database, b.log); err != nil {
		return err
	}
	b.state = stateTable{b.db}
	b.outbox = newOutbox(outboxTable{b.db}, b.log.With().Str("component", "outbox").Logger(), b.obs, b.cfg.Bot.MaxPendingPerRoom)
	b.outbox.do = b.doJob
	b.obs.healthCheck(b.outbox.healthy)
	if err = b.outbox.table.prune(ctx); err != nil {
		return err
	}
	b.settings = newSettingsTable(b.db, b.cfg.Bot, b.log.With().Str("component", "settings").Logger())
	if err = b.settings.load(ctx); err != nil {
		return err
	}
	if err = b.setupAnnouncements(ctx); err != nil {
		return err
	}
	// A homeserver that is down at start is waited for, like one that
	// goes away later.
	for wait := time.Second; ; wait = min(wait*2, time.Minute) {
		err = b.connect(ctx)
		if err == nil || !isTransient(err) || ctx.Err() != nil {
			break
		}
		b.log.Warn().Err(err).Dur("retry_in", wait).Msg("Could not connect, trying again")
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	if err != nil {
		return err
	}
	b.registerHandlers()
	b.loadBotNames(ctx)
	if rooms, err := b.client.JoinedRooms(ctx); err == nil {
		b.obs.joinedRooms(len(rooms.JoinedRooms))
	}
	return nil
}

// syncLoop syncs until ctx is cancelled, starting again after any error
// but a revoked token.
func (b *Bot) syncLoop(ctx context.Context) error {
	wait := time.Second
	committed := b.syncer.committed.Load()
	for {
		err := b.client.SyncWithContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if n := b.syncer.committed.Load(); n != committed {
			committed, wait = n, time.Second // it worked for a while: start over
		}
		if errors.Is(err, mautrix.MUnknownToken) {
			if b.cfg.Matrix.Password == "" {
				return fmt.Errorf("access token rejected: %w", err)
			}
			// Logged out or the token expired: log in again, keeping the
			// device (and so its keys).
			lerr := b.relogin(ctx)
			if lerr == nil {
				b.relogins.Add(1)
				b.log.Warn().Msg("Access token was rejected; logged in again")
				continue
			}
			if !isTransient(lerr) {
				return fmt.Errorf("access token rejected and logging in again failed: %w", lerr)
			}
			err = lerr
		}
		b.log.Warn().Err(err).Dur("retry_in", wait).Msg("Sync stopped, starting again")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}

// pruneDaily drops old finished outbox rows once a day.
func (b *Bot) pruneDaily(ctx context.Context) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.outbox.table.prune(ctx); err != nil {
				b.log.Warn().Err(err).Msg("Pruning the outbox failed")
			}
		}
	}
}

func (b *Bot) close() {
	if b.client != nil {
		b.client.StopSync()
	}
	if b.db != nil {
		if err := b.db.Close(); err != nil {
			b.log.Warn().Err(err).Msg("Closing database failed")
		}
	}
	if b.lock != nil {
		b.lock.release()
	}
}
