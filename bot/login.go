package bot

import (
	"context"
	"fmt"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/id"
	"maunium.net/go/mautrix/sqlstatestore"
)

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
	b.syncer.outbox = b.outbox
	b.syncer.gate = b.gateEncrypted
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
