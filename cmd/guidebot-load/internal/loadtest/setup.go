package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
)

// startHomeserver starts this mode's Dendrite, its data under
// HomeserverDir (its database in PostgreSQL with HomeserverPostgres), and
// opens the log the tool's clients warn into.
func (m *mode) startHomeserver(ctx context.Context) error {
	var err error
	if m.hsDir, err = os.MkdirTemp(m.cfg.HomeserverDir, "guidebot-load-hs-"); err != nil {
		return err
	}
	if m.logFile, err = os.Create(filepath.Join(m.dir, "clients.log")); err != nil {
		return err
	}
	m.clientLog = zerolog.New(m.logFile).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	db := ""
	if m.cfg.HomeserverPostgres != "" {
		if db, m.dropHSDB, err = homeserverDB(ctx, m.cfg.HomeserverPostgres); err != nil {
			return err
		}
	}
	// Dendrite's rate limiting is off in the harness's config.
	m.hs, err = bottest.StartHomeserverOn(m.hsDir, db)
	return err
}

// fillerCreators is how many accounts create the filler rooms. They never
// sync: a creator that syncs makes the homeserver send it every new room.
const fillerCreators = 2

// setupAccounts registers every account and makes the clients.
func (m *mode) setupAccounts(ctx context.Context) error {
	cfg := m.cfg
	type group struct {
		prefix string
		n      int
		crypto bool // in encrypted rooms
		stock  bool // mautrix's own HTTP client, as the bot has
	}
	groups := []group{
		{"guidebot", 1, false, true}, {"echo", 1, true, true}, {"lead", 1, true, false},
		{"observer", cfg.Observers, true, false}, {"filler", fillerCreators, false, false},
		{"latency", cfg.LatencySenders, true, false}, {"noisy", cfg.NoisyUsers, true, false}, {"sender", cfg.Rooms * cfg.sendersPerRoom(), true, false},
	}
	var names []string
	var of []group
	for _, g := range groups {
		for i := range g.n {
			name := g.prefix
			if g.n > 1 {
				name = fmt.Sprintf("%s%d", g.prefix, i)
			}
			names = append(names, name)
			of = append(of, g)
		}
	}
	logins := make([]*bottest.Login, len(names))
	// registration costs a bcrypt hash each: two per core keep it busy
	if err := parallel(ctx, len(names), 4, func(ctx context.Context, i int) error {
		return retry(ctx, "registering "+names[i], func() error {
			l, err := m.hs.RegisterLogin(ctx, names[i], accountPassword)
			logins[i] = l
			return err
		})
	}); err != nil {
		return err
	}
	m.logf("%s: %d accounts registered", m.name(), len(names))
	m.botLogin, m.botID = logins[0], id.UserID(logins[0].UserID)

	peers := make([]*peer, len(names))
	peerDir := filepath.Join(m.dir, "peers")
	if err := os.MkdirAll(peerDir, 0o700); err != nil {
		return err
	}
	err := parallel(ctx, len(names)-1, 8, func(ctx context.Context, i int) error {
		i++ // not the bot: it runs in a process of its own
		p, err := newPeer(ctx, m.hs.URL, logins[i], names[i], m.enc && of[i].crypto, !of[i].stock, peerDir, m.clientLog)
		peers[i] = p
		return err
	})
	for _, p := range peers {
		if p != nil {
			m.peers = append(m.peers, p)
		}
	}
	if err != nil {
		return err
	}
	take := func(n int) []*peer {
		out := peers[:n]
		peers = peers[n:]
		return out
	}
	take(1) // the bot's slot
	m.echoPeer = take(1)[0]
	m.lead = take(1)[0]
	observe(m.lead, m.replies, m.deliveries, m.commands)
	m.lead.startSync()
	m.observers = take(cfg.Observers)
	for _, o := range m.observers {
		observe(o, m.replies, m.deliveries, m.commands)
		o.startSync()
	}
	m.fillers = take(fillerCreators)
	m.latencyPeers = take(cfg.LatencySenders)
	m.latency = newPool(m.latencyPeers)
	m.noisyPeers = take(cfg.NoisyUsers)
	m.sustainPeers = make([][]*peer, cfg.Rooms)
	for i, p := range peers {
		m.sustainPeers[i%cfg.Rooms] = append(m.sustainPeers[i%cfg.Rooms], p)
	}
	for j := range cfg.Rooms {
		m.sustainBot = append(m.sustainBot, newPool(m.sustainPeers[j]))
		m.sustainEcho = append(m.sustainEcho, newPool(m.sustainPeers[j]))
	}
	return nil
}

// tokenClient is a client with the access token of a registration.
func (m *mode) tokenClient(l *bottest.Login) (*mautrix.Client, error) {
	cli, err := mautrix.NewClient(m.hs.URL, id.UserID(l.UserID), l.AccessToken)
	if err != nil {
		return nil, err
	}
	cli.Client = &http.Client{Transport: driverTransport, Timeout: 180 * time.Second}
	cli.DeviceID = id.DeviceID(l.DeviceID)
	cli.Log = m.clientLog.With().Str("who", l.UserID).Logger()
	return cli, nil
}

// setupLatencyRooms makes the room guidebot answers in one command at a
// time (joined before its first start, with the bot's registration
// device, which is then logged out), the echo client's room and the
// delivery room, and starts the echo client.
func (m *mode) setupLatencyRooms(ctx context.Context) error {
	m.echo = startEcho(m.echoPeer, m.answers, m.cfg.ShortEcho, m.cfg.SerialEcho)
	var err error
	if m.lb, err = createRoom(ctx, m.lead, m.enc); err != nil {
		return err
	}
	if m.le, err = createRoom(ctx, m.lead, m.enc, m.echo.cli.UserID); err != nil {
		return err
	}
	if m.floor, err = createRoom(ctx, m.lead, m.enc); err != nil {
		return err
	}
	cli, err := m.tokenClient(m.botLogin)
	if err != nil {
		return err
	}
	if _, err := cli.JoinRoomByID(ctx, m.lb); err != nil {
		return fmt.Errorf("joining the bot account: %w", err)
	}
	// guidebot logs in with its password: a device without keys would
	// only be in the way in encrypted rooms
	if _, err := cli.Logout(ctx); err != nil {
		return fmt.Errorf("logging out the bot's registration device: %w", err)
	}
	rooms := []id.RoomID{m.lb, m.le, m.floor}
	if err := parallel(ctx, len(m.latencyPeers)*len(rooms), 4, func(ctx context.Context, i int) error {
		return joinRoom(ctx, m.latencyPeers[i/len(rooms)], rooms[i%len(rooms)])
	}); err != nil {
		return err
	}
	return waitMember(ctx, m.lead, m.le, m.echo.cli.UserID, time.Minute)
}

// setupSustainedRooms creates the sustained rooms (one for the bot, one
// for the echo client, per index), each inviting its responder, and has
// the senders join theirs.
func (m *mode) setupSustainedRooms(ctx context.Context) error {
	cfg := m.cfg
	m.tb = make([]id.RoomID, cfg.Rooms)
	m.te = make([]id.RoomID, cfg.Rooms)
	total := 2 * cfg.Rooms
	began := time.Now()
	// the observers make them: they watch them
	err := parallel(ctx, len(m.observers), len(m.observers), func(ctx context.Context, c int) error {
		for k := c; k < total; k += len(m.observers) {
			var err error
			if k < cfg.Rooms {
				m.tb[k], err = createRoom(ctx, m.observers[c], m.enc, m.botID)
			} else {
				m.te[k-cfg.Rooms], err = createRoom(ctx, m.observers[c], m.enc, m.echo.cli.UserID)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.logf("%s: %d rooms created in %s", m.name(), total, time.Since(began).Round(time.Second))
	if err := m.waitBotRooms(ctx, cfg.Rooms+1); err != nil {
		return err
	}
	echoRooms := int64(cfg.Rooms + 1) // joined on invitation
	for deadline := time.Now().Add(2 * time.Minute); m.echo.joined.Load() < echoRooms; {
		if time.Now().After(deadline) {
			return fmt.Errorf("the echo client joined %d of %d rooms", m.echo.joined.Load(), echoRooms)
		}
		time.Sleep(100 * time.Millisecond)
	}
	type join struct {
		p    *peer
		room id.RoomID
	}
	var joins []join
	for j, ps := range m.sustainPeers {
		for _, p := range ps {
			joins = append(joins, join{p, m.tb[j]}, join{p, m.te[j]})
		}
	}
	if err := parallel(ctx, len(joins), 4, func(ctx context.Context, i int) error {
		return joinRoom(ctx, joins[i].p, joins[i].room)
	}); err != nil {
		return err
	}
	if m.enc {
		// Senders never sync; they read the state of their rooms once so
		// that they encrypt, and for every member's devices.
		for _, p := range m.latencyPeers {
			for _, r := range []id.RoomID{m.lb, m.le, m.floor} {
				joins = append(joins, join{p, r})
			}
		}
		if err := parallel(ctx, len(joins), 4, func(ctx context.Context, i int) error {
			return loadRoomState(ctx, joins[i].p, joins[i].room)
		}); err != nil {
			return err
		}
	}
	return nil
}

// waitBotRooms waits until guidebot reports n joined rooms.
func (m *mode) waitBotRooms(ctx context.Context, n int) error {
	limit := 2*time.Minute + time.Duration(n)*100*time.Millisecond
	deadline := time.Now().Add(limit)
	lastLog := time.Now()
	for {
		got, err := m.bot.Metric(ctx, "guidebot_joined_rooms")
		if err == nil && int(got) >= n {
			return nil
		}
		if exited, err := m.bot.Exited(); exited {
			return fmt.Errorf("guidebot exited (%v); see %s (kept with -keep)", err, m.bot.LogPath)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("guidebot joined %.0f of %d rooms within %s", got, n, limit)
		}
		if time.Since(lastLog) > 15*time.Second {
			m.logf("%s: guidebot has joined %.0f/%d rooms", m.name(), got, n)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
