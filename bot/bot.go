// Package bot is guidebot's Matrix runtime: login, sync, encryption, the
// database of room settings, and the glue that hands each incoming line to
// the commands engine and sends its answer back.
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
	"maunium.net/go/mautrix/sqlstatestore"

	"github.com/guidebot/guidebot/bot/announce"
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
	cfg    *Config
	log    zerolog.Logger
	engine *commands.Engine

	db       *dbutil.Database
	state    stateTable
	answered answeredTable
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
	undecryptable *noticeLimiter
	members       memberCache

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
	// Metrics and Health, when set, are kept up to date (SPEC §8).
	Metrics *metrics.Metrics
	Health  *metrics.Health
	// LoadContent reloads the content (content.dir) on the announcement
	// schedule and on Reload; nil means ContentLoader(cfg.Content).
	LoadContent func() (*content.Set, error)
	// Reload triggers a reload and announcement run at once (SIGHUP).
	Reload <-chan struct{}
}

// New prepares a bot; nothing touches the network or the database until Run.
func New(cfg *Config, log zerolog.Logger, opts Options) (*Bot, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Engine == nil {
		opts.Engine = commands.New(content.Builtin())
	}
	if opts.LoadContent == nil {
		opts.LoadContent = ContentLoader(cfg.Content)
	}
	return &Bot{
		cfg:           cfg,
		log:           log,
		engine:        opts.Engine,
		obs:           observer{m: opts.Metrics, h: opts.Health},
		loadContent:   opts.LoadContent,
		reload:        opts.Reload,
		flood:         newFloodLimiter(floodMax, floodWindow),
		undecryptable: newNoticeLimiter(undecryptableEvery),
		members:       memberCache{counts: map[id.RoomID]int{}},
		ready:         make(chan struct{}),
	}, nil
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
	// Handlers work on until shutdownGrace after ctx ends (see
	// syncer.ProcessResponse); then their requests are cancelled.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancelWork) })
	defer stopGrace()
	b.syncer.work = work
	// The announcer stops with ctx; wait for it before the database closes.
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.runAnnouncements(ctx, b.reload, b.loadContent) }()
	go func() { defer wg.Done(); b.pruneDaily(ctx) }()
	defer wg.Wait()
	return b.syncLoop(ctx)
}

func (b *Bot) start(ctx context.Context) error {
	var err error
	if b.db, err = openDatabase(ctx, b.cfg.Database, b.log); err != nil {
		return err
	}
	b.state = stateTable{b.db}
	b.answered = answeredTable{b.db}
	if err = b.answered.prune(ctx); err != nil {
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

// connect builds the client, logs in and sets up encryption.
func (b *Bot) connect(ctx context.Context) error {
	m := b.cfg.Matrix
	userID := id.UserID(m.UserID)
	cli, err := mautrix.NewClient(m.Homeserver, "", "")
	if err != nil {
		return fmt.Errorf("creating client: %w", err)
	}
	b.client = cli
	cli.Log = b.log.With().Str("component", "matrix").Logger()
	if b.transport != nil {
		cli.Client.Transport = b.transport
	}
	cli.DefaultHTTPRetries = httpRetries
	cli.DefaultHTTPBackoff = httpBackoff
	b.syncer = newSyncer(b.log.With().Str("component", "sync").Logger(), b.obs)
	b.syncer.FilterJSON = &mautrix.Filter{Room: &mautrix.RoomFilter{Timeline: &mautrix.FilterPart{Limit: syncTimelineLimit}}}
	cli.Syncer = b.syncer

	stateStore := sqlstatestore.NewSQLStateStore(b.db, dbutil.ZeroLogger(b.log.With().Str("db_section", "matrix_state").Logger()), false)
	if err = stateStore.Upgrade(ctx); err != nil {
		return fmt.Errorf("upgrading state store: %w", err)
	}
	cli.StateStore = stateStore

	if m.AccessToken != "" {
		cli.UserID, cli.AccessToken, cli.DeviceID = userID, m.AccessToken, id.DeviceID(m.DeviceID)
		resp, err := cli.Whoami(ctx)
		if err != nil {
			return fmt.Errorf("checking access token: %w", err)
		}
		if resp.UserID != userID {
			return fmt.Errorf("access token belongs to %s, not matrix.user_id %s", resp.UserID, userID)
		}
		if cli.DeviceID == "" {
			cli.DeviceID = resp.DeviceID
		}
	}
	login := &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: userID.String()},
		Password:                 m.Password,
		InitialDeviceDisplayName: m.DeviceName,
		DeviceID:                 id.DeviceID(m.DeviceID),
		StoreCredentials:         true,
	}

	if b.cfg.Encryption.Enabled {
		b.crypto, err = cryptohelper.NewCryptoHelper(cli, []byte(b.cfg.Encryption.PickleKey), b.db)
		if err != nil {
			return fmt.Errorf("setting up encryption: %w", err)
		}
		if m.AccessToken == "" {
			b.crypto.LoginAs = login
		}
		b.crypto.DecryptErrorCallback = b.onUndecryptable
		if err = b.crypto.Init(ctx); err != nil {
			return fmt.Errorf("setting up encryption: %w", err)
		}
		// A message that decrypts but has malformed content (a non-string
		// body) is the sender's problem, not a key problem: hand it on, to
		// be ignored as in a plain room, instead of a "could not decrypt".
		b.crypto.Machine().IgnorePostDecryptionParseErrors = true
		cli.Crypto = b.crypto
		b.store = &deferredSyncStore{SyncStore: cli.Store}
		if m.Password != "" {
			b.crossSign(ctx)
		}
	} else {
		if m.AccessToken == "" {
			// Reuse the device of the previous run instead of piling up one
			// device per restart.
			stored, err := b.state.get(ctx, "device_id")
			if err != nil {
				return err
			}
			if stored != "" {
				login.DeviceID = id.DeviceID(stored)
			}
			if _, err = cli.Login(ctx, login); err != nil {
				return fmt.Errorf("logging in as %s: %w", userID, err)
			}
			if err = b.state.put(ctx, "device_id", cli.DeviceID.String()); err != nil {
				return err
			}
		}
		b.store = &deferredSyncStore{SyncStore: sqlSyncStore{b.state}}
	}
	cli.Store = b.store
	b.syncer.store = b.store
	return nil
}

// crossSign makes the bot's device cross-signed, once: it creates the
// cross-signing keys when the account has none, then signs the device and
// the master key. Failure is logged, not fatal: the bot works unverified.
func (b *Bot) crossSign(ctx context.Context) {
	log := b.log.With().Str("component", "cross_signing").Logger()
	mach := b.crypto.Machine()
	dev := b.client.DeviceID.String()
	if done, err := b.state.get(ctx, "cross_signed_device"); err == nil && done == dev {
		return
	}
	keys, err := mach.GetOwnCrossSigningPublicKeys(ctx)
	if err != nil {
		log.Warn().Err(err).Msg("Could not fetch cross-signing keys")
		return
	}
	if keys == nil {
		if _, _, err = mach.GenerateAndUploadCrossSigningKeysWithPassword(ctx, b.cfg.Matrix.Password, ""); err != nil {
			log.Warn().Err(err).Msg("Could not create cross-signing keys")
			return
		}
	} else if mach.CrossSigningKeys == nil {
		// Keys exist but their private halves are elsewhere (another device
		// made them): nothing this device can sign with.
		log.Info().Msg("Account already has cross-signing keys made elsewhere; this device stays unverified")
		_ = b.state.put(ctx, "cross_signed_device", dev)
		return
	}
	if err = mach.SignOwnDevice(ctx, mach.OwnIdentity()); err != nil {
		log.Warn().Err(err).Msg("Could not sign own device")
		return
	}
	if err = mach.SignOwnMasterKey(ctx); err != nil {
		log.Warn().Err(err).Msg("Could not sign own master key")
		return
	}
	if err = b.state.put(ctx, "cross_signed_device", dev); err != nil {
		log.Warn().Err(err).Msg("Could not record cross-signing")
		return
	}
	log.Info().Msg("Device cross-signed")
}

// loadBotNames fills the names the bot answers to when addressed.
func (b *Bot) loadBotNames(ctx context.Context) {
	names := []string{b.client.UserID.Localpart(), b.client.UserID.String()}
	if resp, err := b.client.GetOwnDisplayName(ctx); err == nil && resp.DisplayName != "" && resp.DisplayName != names[0] {
		names = append(names, resp.DisplayName)
	}
	b.botNames = names
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

// pruneDaily drops old answered-event IDs once a day.
func (b *Bot) pruneDaily(ctx context.Context) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.answered.prune(ctx); err != nil {
				b.log.Warn().Err(err).Msg("Pruning answered events failed")
			}
		}
	}
}

func (b *Bot) relogin(ctx context.Context) error {
	_, err := b.client.Login(ctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: b.client.UserID.String()},
		Password:                 b.cfg.Matrix.Password,
		DeviceID:                 b.client.DeviceID,
		InitialDeviceDisplayName: b.cfg.Matrix.DeviceName,
		StoreCredentials:         true,
	})
	return err
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
}
