package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/internal/dendrite"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// The commands timed, in turn. Each is answered from the built-in content.
var timedCommands = []string{
	"!messenger signal",
	"!compare signal briar",
	"!messenger simplex",
	"!compare session molly element",
}

// probeCommand is sent while waiting for a starting bot.
const (
	probeCommand = "!messenger signal"
	probeEvery   = 100 * time.Millisecond
	probeDense   = 3 * time.Second
	probeLimit   = 90 * time.Second
)

// Run measures what cfg asks for and returns the report; on error the
// report holds what was measured until then.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "[%6s] %s\n", time.Since(began).Round(time.Second), fmt.Sprintf(format, args...))
	}
	rep := &Report{Machine: ReadMachine(), Settings: cfg.describe()}
	if cfg.ProfileDir != "" && cfg.Guidebot != "" {
		return rep, errors.New("profiles need the tool to build guidebot (with a pprof overlay): leave the guidebot binary unset")
	}
	root, err := os.MkdirTemp(cfg.WorkDir, "guidebot-load-")
	if err != nil {
		return rep, err
	}
	if cfg.Keep {
		logf("work directory %s is kept", root)
	} else {
		defer os.RemoveAll(root)
	}
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return rep, err
		}
	}
	bin := cfg.Guidebot
	rep.Guidebot = "the binary " + bin
	if bin == "" {
		logf("building guidebot (go build -tags goolm ./cmd/guidebot)")
		if bin, rep.Guidebot, err = buildGuidebot(ctx, root, cfg.ProfileDir != ""); err != nil {
			return rep, err
		}
		if cfg.ProfileDir != "" {
			rep.Guidebot += ", with the load tool's pprof overlay"
		}
	}
	answers := map[string][2]string{}
	engine := commands.New(content.Builtin())
	for _, c := range timedCommands {
		r, ok := engine.Handle(ctx, commands.Request{Text: c, Room: defaultRoom{}})
		if !ok || r.Failed {
			return rep, fmt.Errorf("the engine does not answer %q", c)
		}
		answers[c] = [2]string{r.Plain, r.HTML}
	}
	var modes []bool
	if cfg.Plain {
		modes = append(modes, false)
	}
	if cfg.Encrypted {
		modes = append(modes, true)
	}
	for _, enc := range modes {
		m := &mode{cfg: cfg, enc: enc, bin: bin, answers: answers, logf: logf,
			replies: newTracker(), deliveries: newTracker(), commands: newTracker()}
		m.dir = filepath.Join(root, m.name())
		res, err := m.run(ctx)
		rep.Modes = append(rep.Modes, *res)
		rep.Profiles = append(rep.Profiles, m.profiles...)
		if err != nil {
			rep.Took = time.Since(began)
			return rep, fmt.Errorf("%s: %w", m.name(), err)
		}
	}
	rep.Took = time.Since(began)
	return rep, nil
}

// defaultRoom is a room with the default settings, as every room of the
// run has.
type defaultRoom struct{}

func (defaultRoom) Settings() commands.Settings {
	return commands.Settings{Language: content.EN, Prefix: "!", Replies: "thread"}
}
func (defaultRoom) MayChangeSettings(context.Context) (bool, int, error) { return false, 50, nil }
func (defaultRoom) SetSetting(context.Context, string, string) error     { return nil }

// mode measures one kind of room on a homeserver of its own.
type mode struct {
	cfg      Config
	enc      bool
	bin      string
	dir      string
	answers  map[string][2]string
	logf     func(string, ...any)
	res      *ModeResult
	profiles []string

	hs         *dendrite.Server
	hsDir      string
	clientLog  zerolog.Logger
	logFile    *os.File
	replies    *tracker
	deliveries *tracker
	commands   *tracker // commands seen by the observers, for their server timestamps

	botLogin      *dendrite.Login
	botID         id.UserID
	echoPeer      *peer
	echo          *echoClient
	lead          *peer   // creates and watches the latency rooms, sends the start probes
	observers     []*peer // create and watch the sustained rooms
	fillers       []*peer // create the filler rooms
	latencyPeers  []*peer
	latency       *pool
	sustainPeers  [][]*peer // per sustained room
	sustainBot    []*pool
	sustainEcho   []*pool
	peers         []*peer // every peer, to close
	lb, le, floor id.RoomID
	tb, te        []id.RoomID
	bot           *botProc

	problems map[string]int // what went wrong, counted, for the notes
	pmu      sync.Mutex
}

func (m *mode) name() string {
	if m.enc {
		return "encrypted"
	}
	return "plain"
}

func (m *mode) problem(kind string) {
	m.pmu.Lock()
	if m.problems == nil {
		m.problems = map[string]int{}
	}
	m.problems[kind]++
	m.pmu.Unlock()
}

func (m *mode) note(format string, args ...any) {
	m.res.Notes = append(m.res.Notes, fmt.Sprintf(format, args...))
}

func (m *mode) run(ctx context.Context) (*ModeResult, error) {
	began := time.Now()
	m.res = &ModeResult{Encrypted: m.enc, SustainedRooms: m.cfg.Rooms}
	defer func() {
		m.teardown()
		m.res.Took = time.Since(began)
	}()
	steps := []struct {
		what string
		f    func(context.Context) error
	}{
		{"starting Dendrite", m.startHomeserver},
		{"registering accounts", m.setupAccounts},
		{"creating the latency rooms", m.setupLatencyRooms},
		{"first start of guidebot (new database)", m.firstStart},
		{"creating the sustained rooms", m.setupSustainedRooms},
		{"warming up", m.warmUp},
		{"measuring one-way delivery", m.measureFloor},
		{"measuring round trips", m.measureRoundTrips},
		{"measuring sustained commands", m.measureSustained},
		{"joining guidebot to the filler rooms", m.setupFillerRooms},
		{"reading idle memory", m.idleMemory},
		{"restarting guidebot", m.restart},
		{"reading memory under load", m.loadMemory},
		{"reading guidebot's metrics and log", m.collect},
	}
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return m.res, err
	}
	cpu0 := readCPU()
	defer func() {
		others, steal := othersShare(cpu0, readCPU())
		if others > 0.05 || steal > 0.05 {
			m.note("other processes used %.0f %% of the machine's CPU during this mode and the hypervisor stole %.0f %%: the figures are noisier than on an idle machine", 100*others, 100*steal)
		}
	}()
	for _, s := range steps {
		m.logf("%s: %s", m.name(), s.what)
		if err := s.f(ctx); err != nil {
			m.addProblemNotes(s.what)
			return m.res, fmt.Errorf("%s: %w", s.what, err)
		}
	}
	m.addProblemNotes("measurement")
	return m.res, nil
}

func (m *mode) teardown() {
	if m.bot != nil && m.bot.cmd != nil {
		if err := m.bot.stop(); err != nil {
			m.note("stopping guidebot: %v", err)
		}
	}
	var wg sync.WaitGroup
	for _, p := range m.peers {
		wg.Add(1)
		go func() { defer wg.Done(); p.close() }()
	}
	wg.Wait()
	if m.hs != nil {
		_ = m.hs.Stop()
	}
	if m.hsDir != "" && !m.cfg.Keep {
		_ = os.RemoveAll(m.hsDir)
	}
	if m.logFile != nil {
		m.logFile.Close()
	}
}

func (m *mode) startHomeserver(context.Context) error {
	var err error
	if m.hsDir, err = os.MkdirTemp(m.cfg.HomeserverDir, "guidebot-load-hs-"); err != nil {
		return err
	}
	if m.logFile, err = os.Create(filepath.Join(m.dir, "clients.log")); err != nil {
		return err
	}
	m.clientLog = zerolog.New(m.logFile).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	// Dendrite's rate limiting is off in the harness's config.
	m.hs, err = dendrite.Start(m.hsDir)
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
		{"latency", cfg.LatencySenders, true, false}, {"sender", cfg.Rooms * cfg.sendersPerRoom(), true, false},
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
	logins := make([]*dendrite.Login, len(names))
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
func (m *mode) tokenClient(l *dendrite.Login) (*mautrix.Client, error) {
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

// firstStart starts guidebot on a new database, in its latency room only,
// and times its first answer: the start of a new deployment.
func (m *mode) firstStart(ctx context.Context) error {
	botDir := filepath.Join(m.dir, "guidebot")
	if err := os.MkdirAll(botDir, 0o700); err != nil {
		return err
	}
	var err error
	m.bot, err = newBotProc(m.bin, botDir, botSettings{
		Homeserver: m.hs.URL, UserID: m.botID.String(), Password: accountPassword, Encrypted: m.enc,
	}, m.cfg.ProfileDir != "")
	if err != nil {
		return err
	}
	d, err := m.startAndProbe(ctx, m.bot, m.lb, m.botID)
	if err != nil {
		return err
	}
	m.res.StartFirst = d
	m.logf("%s: first answer %.2f s after the process started", m.name(), d.Seconds())
	return nil
}

// startAndProbe starts the bot process and sends probeCommand into room
// until one is answered; it returns process start → that answer received.
// Probes go every probeEvery for the first probeDense (the budget is 2 s),
// then every second: a slow start must not pile up hundreds of commands
// that the bot, rightly, answers or flood-limits once it runs.
func (m *mode) startAndProbe(ctx context.Context, bot *botProc, room id.RoomID, botID id.UserID) (time.Duration, error) {
	t0, err := bot.start()
	if err != nil {
		return 0, err
	}
	want := m.answers[probeCommand][0]
	deadline := t0.Add(probeLimit)
	var sent []id.EventID
	next := t0
	for time.Now().Before(deadline) {
		if exited, err := bot.exited(); exited {
			return 0, fmt.Errorf("guidebot exited (%v); see %s", err, bot.logPath)
		}
		if !time.Now().Before(next) {
			if ev, err := m.probe(ctx, room, botID); err == nil {
				sent = append(sent, ev)
			}
			if time.Since(t0) < probeDense {
				next = next.Add(probeEvery)
			} else {
				next = time.Now().Add(time.Second)
			}
		}
		for _, ev := range sent {
			if a, ok := m.replies.peek(ev); ok && a.from == botID && a.body == want {
				return a.at.Sub(t0), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("no answer within %s of the start (%d probes sent); see %s", probeLimit, len(sent), bot.logPath)
}

// probe sends one probeCommand from the lead. In encrypted rooms it first
// drops the lead's outbound session and fetches the bot's devices again, so
// the probe is readable by a device the bot created a moment ago: a
// session shared before it existed is withheld from it, and the lead
// would notice the new device only after a sync or two, which would be
// timing the lead, not the bot.
func (m *mode) probe(ctx context.Context, room id.RoomID, botID id.UserID) (id.EventID, error) {
	if m.lead.crypto != nil {
		mach := m.lead.crypto.Machine()
		if err := mach.CryptoStore.RemoveOutboundGroupSession(ctx, room); err != nil {
			return "", err
		}
		if _, err := mach.FetchKeys(ctx, []id.UserID{botID}, true); err != nil {
			return "", err
		}
	}
	return m.lead.say(ctx, room, probeCommand)
}

// settle waits until the bot has handled everything sent to it: its
// message counter unchanged for 3 s (at most a minute), so that memory
// is read, and a restart happens, with no batch in progress.
func (m *mode) settle(ctx context.Context) {
	last, quiet := -1.0, 0
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && quiet < 6; {
		n, err := m.bot.metric(ctx, "guidebot_messages_total")
		c, err2 := m.bot.metric(ctx, "guidebot_commands_total")
		if err == nil && err2 == nil && n+c == last {
			quiet++
		} else {
			quiet, last = 0, n+c
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
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
		got, err := m.bot.metric(ctx, "guidebot_joined_rooms")
		if err == nil && int(got) >= n {
			return nil
		}
		if exited, err := m.bot.exited(); exited {
			return fmt.Errorf("guidebot exited (%v); see %s", err, m.bot.logPath)
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

// setupFillerRooms brings guidebot up to MemoryRooms rooms. It stops the
// bot, joins its account to new rooms directly (a client that syncs while
// it joins hundreds of rooms costs Dendrite O(rooms) per sync, and the run
// O(rooms²)), and starts it again, waiting until it reports them all. The
// timed phases ran before: Dendrite's incremental sync costs grow with a
// user's rooms, and would blur the comparison with the echo client.
func (m *mode) setupFillerRooms(ctx context.Context) error {
	filler := m.cfg.MemoryRooms - 1 - m.cfg.Rooms
	m.settle(ctx)
	if err := m.bot.stop(); err != nil {
		return err
	}
	cli, err := m.tokenClient(&dendrite.Login{UserID: m.botID.String()})
	if err != nil {
		return err
	}
	if err := retry(ctx, "logging in as the bot", func() error {
		_, err := cli.Login(ctx, &mautrix.ReqLogin{
			Type:       mautrix.AuthTypePassword,
			Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: m.botID.String()},
			Password:   accountPassword, StoreCredentials: true,
		})
		return err
	}); err != nil {
		return err
	}
	var made atomic.Int64
	began := time.Now()
	// Dendrite writes one event at a time: a few creators are as fast as many.
	err = parallel(ctx, len(m.fillers), len(m.fillers), func(ctx context.Context, c int) error {
		for k := c; k < filler; k += len(m.fillers) {
			room, err := createRoom(ctx, m.fillers[c], m.enc)
			if err != nil {
				return err
			}
			if err := retry(ctx, "joining "+room.String(), func() error {
				_, err := cli.JoinRoomByID(ctx, room)
				return err
			}); err != nil {
				return err
			}
			if n := made.Add(1); n%200 == 0 {
				m.logf("%s: %d/%d filler rooms (%.1f/s)", m.name(), n, filler, float64(n)/time.Since(began).Seconds())
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := cli.Logout(ctx); err != nil {
		return fmt.Errorf("logging out the bot's extra device: %w", err)
	}
	m.logf("%s: %d filler rooms made in %s; starting guidebot again", m.name(), filler, time.Since(began).Round(time.Second))
	// its first answer tells it has been through the sync holding them
	d, err := m.startAndProbe(ctx, m.bot, m.lb, m.botID)
	if err != nil {
		return err
	}
	m.logf("%s: guidebot answered %.2f s after starting with %d new rooms", m.name(), d.Seconds(), filler)
	return m.waitBotRooms(ctx, m.cfg.MemoryRooms)
}

// idleMemory reads the bot's resident memory once it is idle after the
// sync that brought it its filler rooms (a bot on a new database in that
// many rooms goes through the same), and keeps that process's peak.
func (m *mode) idleMemory(ctx context.Context) error {
	m.settle(ctx)
	time.Sleep(m.cfg.Settle)
	rss, hwm, err := m.bot.memory()
	if err != nil {
		return err
	}
	m.res.RSSIdleJoin, m.res.RSSPeakJoin = rss, hwm
	if n, err := m.bot.metric(ctx, "guidebot_joined_rooms"); err == nil {
		m.res.MemoryRooms = int(n)
	}
	m.logf("%s: guidebot VmRSS %s idle (peak %s) after a sync bringing it to %d rooms", m.name(), mb(rss), mb(hwm), m.res.MemoryRooms)
	if m.cfg.ProfileDir != "" {
		file := filepath.Join(m.cfg.ProfileDir, m.name()+"-idle.heap.pprof")
		if err := m.bot.heapProfile(file); err != nil {
			m.note("heap profile: %v", err)
		} else {
			m.profiles = append(m.profiles, file)
		}
	}
	return nil
}

// restart stops the bot (SIGTERM) and times its first answer after it
// starts again on its database, in all its rooms, then reads its memory
// once it is idle.
func (m *mode) restart(ctx context.Context) error {
	if err := m.bot.stop(); err != nil {
		return err
	}
	profile := ""
	if m.cfg.ProfileDir != "" {
		profile = filepath.Join(m.cfg.ProfileDir, m.name()+"-restart.cpu.pprof")
		m.bot.startProfile = profile
	}
	d, err := m.startAndProbe(ctx, m.bot, m.lb, m.botID)
	if profile != "" {
		if perr := m.bot.stopCPUProfile(); perr == nil {
			m.profiles = append(m.profiles, profile)
		}
	}
	if err != nil {
		return err
	}
	m.res.StartRestart = d
	m.logf("%s: first answer %.2f s after the restart", m.name(), d.Seconds())
	m.settle(ctx)
	time.Sleep(m.cfg.Settle)
	if m.res.RSSIdle, _, err = m.bot.memory(); err != nil {
		return err
	}
	m.logf("%s: guidebot VmRSS %s idle after the restart", m.name(), mb(m.res.RSSIdle))
	return nil
}

// roundTrip sends text from p into room and waits up to wait for from's
// answer. status is "" when the expected answer came, else what went wrong.
func (m *mode) roundTrip(ctx context.Context, p *peer, room id.RoomID, text string, from id.UserID, want string, wait time.Duration) (r answer) {
	r.sent = time.Now()
	ev, err := p.say(ctx, room, text)
	if err != nil {
		r.status = "send failed: " + shorten(err.Error())
		return r
	}
	a, ok := m.replies.wait(ctx, ev, r.sent.Add(wait))
	switch {
	case !ok:
		r.status = statusNoAnswer
	case a.from != from || a.body != want:
		r.status = fmt.Sprintf("unexpected answer from %s: %q", a.from.Localpart(), shorten(a.body))
	default:
		r.at = a.at
		// the command was seen before its answer, by the same observer
		if c, ok := m.commands.wait(ctx, ev, time.Now()); ok && c.ts > 0 && a.ts >= c.ts {
			r.turnaround = time.Duration(a.ts-c.ts) * time.Millisecond
		} else {
			r.turnaround = -1
		}
	}
	return r
}

// answer is the outcome of one round trip.
type answer struct {
	sent, at time.Time
	// turnaround is answer − command by the homeserver's timestamps (ms):
	// the responder's share of the round trip, delivery to it included,
	// delivery to the observer left out; -1 when unknown
	turnaround time.Duration
	status     string
}

const statusNoAnswer = "no answer"

// timed is roundTrip for a phase that counts what goes wrong.
func (m *mode) timed(ctx context.Context, p *peer, room id.RoomID, text string, from id.UserID, want string) (answer, bool) {
	r := m.roundTrip(ctx, p, room, text, from, want, answerTimeout)
	if r.status != "" {
		status := r.status
		if status == statusNoAnswer {
			status = fmt.Sprintf("no answer within %s", answerTimeout)
		}
		m.problem(from.Localpart() + ": " + status)
		return r, false
	}
	return r, true
}

// warmUp has every latency sender send once to each latency room, so the
// timed samples do not pay for first-message costs (key sharing).
func (m *mode) warmUp(ctx context.Context) error {
	var failed atomic.Int64
	err := parallel(ctx, len(m.latencyPeers), 8, func(ctx context.Context, i int) error {
		p := m.latencyPeers[i]
		ev, err := p.say(ctx, m.floor, fmt.Sprintf("floor warm-up %d", i))
		if err != nil {
			failed.Add(1)
		} else if _, ok := m.deliveries.wait(ctx, ev, time.Now().Add(answerTimeout)); !ok {
			failed.Add(1)
		}
		cmd := timedCommands[i%len(timedCommands)]
		if _, ok := m.timed(ctx, p, m.le, cmd, m.echo.cli.UserID, m.echo.expectedBody(cmd)); !ok {
			failed.Add(1)
		}
		s, _ := m.latency.acquire(ctx, time.Now().Add(time.Minute))
		if s == nil {
			return ctx.Err()
		}
		defer m.latency.release(s)
		if _, ok := m.timed(ctx, s.p, m.lb, cmd, m.botID, m.answers[cmd][0]); !ok {
			failed.Add(1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	all := int64(3 * len(m.latencyPeers))
	if n := failed.Load(); n > 0 {
		m.note("warm-up: %d of %d first messages got no answer or delivery", n, all)
		if n == all {
			return errors.New("nothing got through during the warm-up")
		}
	}
	// the warm-up's problems are not the measurement's
	m.addProblemNotes("warm-up")
	return nil
}

// phaseLimit bounds a sequential phase of n samples.
func phaseLimit(n int) time.Duration { return 2*time.Minute + time.Duration(n)*time.Second }

// measureFloor times one-way deliveries, sender → lead, one at a time.
func (m *mode) measureFloor(ctx context.Context) error {
	var samples []time.Duration
	lost := 0
	deadline := time.Now().Add(phaseLimit(m.cfg.Commands))
	for i := range m.cfg.Commands {
		if time.Now().After(deadline) || ctx.Err() != nil {
			m.note("one-way delivery stopped after %d samples (time limit)", i)
			break
		}
		p := m.latencyPeers[i%len(m.latencyPeers)]
		t := time.Now()
		ev, err := p.say(ctx, m.floor, fmt.Sprintf("floor %d", i))
		if err != nil {
			lost++
			m.problem("send failed: " + shorten(err.Error()))
			continue
		}
		a, ok := m.deliveries.wait(ctx, ev, t.Add(answerTimeout))
		if !ok {
			lost++
			continue
		}
		samples = append(samples, a.at.Sub(t))
	}
	m.res.Floor = Summarize(samples, lost)
	m.logf("%s: one-way p50 %s p99 %s", m.name(), ms(m.res.Floor.P50), ms(m.res.Floor.P99))
	return ctx.Err()
}

// measureRoundTrips times command → answer, one at a time, alternating
// between the echo client and guidebot so both see the same homeserver.
func (m *mode) measureRoundTrips(ctx context.Context) error {
	if m.cfg.ProfileDir != "" {
		file := filepath.Join(m.cfg.ProfileDir, m.name()+"-roundtrip.cpu.pprof")
		if err := m.bot.startCPUProfile(file); err != nil {
			m.note("CPU profile: %v", err)
		} else {
			m.profiles = append(m.profiles, file)
			defer func() { _ = m.bot.stopCPUProfile() }()
		}
	}
	var echoRT, botRT, echoTurn, botTurn []time.Duration
	echoLost, botLost := 0, 0
	deadline := time.Now().Add(2 * phaseLimit(m.cfg.Commands))
	for i := range m.cfg.Commands {
		if time.Now().After(deadline) || ctx.Err() != nil {
			m.note("round trips stopped after %d pairs (time limit)", i)
			break
		}
		cmd := timedCommands[i%len(timedCommands)]
		echo := func() {
			p := m.latencyPeers[i%len(m.latencyPeers)]
			if r, ok := m.timed(ctx, p, m.le, cmd, m.echo.cli.UserID, m.echo.expectedBody(cmd)); ok {
				echoRT = append(echoRT, r.at.Sub(r.sent))
				if r.turnaround >= 0 {
					echoTurn = append(echoTurn, r.turnaround)
				}
			} else {
				echoLost++
			}
		}
		bot := func() {
			s, _ := m.latency.acquire(ctx, deadline)
			if s == nil {
				botLost++
				return
			}
			r, ok := m.timed(ctx, s.p, m.lb, cmd, m.botID, m.answers[cmd][0])
			m.latency.release(s)
			if ok {
				botRT = append(botRT, r.at.Sub(r.sent))
				if r.turnaround >= 0 {
					botTurn = append(botTurn, r.turnaround)
				}
			} else {
				botLost++
			}
		}
		if i%2 == 0 {
			echo()
			bot()
		} else {
			bot()
			echo()
		}
	}
	m.res.P50DiffCI = ciDurations(BootstrapCI(echoRT, botRT, func(e, b []time.Duration) float64 {
		return float64(Percentile(b, 50) - Percentile(e, 50))
	}, 2000))
	m.res.P99RatioCI[0], m.res.P99RatioCI[1] = BootstrapCI(echoRT, botRT, func(e, b []time.Duration) float64 {
		return float64(Percentile(b, 99)) / float64(Percentile(e, 99))
	}, 2000)
	m.res.Echo = Summarize(echoRT, echoLost)
	m.res.Bot = Summarize(botRT, botLost)
	m.res.EchoTurnaround = Summarize(echoTurn, 0)
	m.res.BotTurnaround = Summarize(botTurn, 0)
	m.logf("%s: round trip p50/p99 echo %s / %s, guidebot %s / %s", m.name(),
		ms(m.res.Echo.P50), ms(m.res.Echo.P99), ms(m.res.Bot.P50), ms(m.res.Bot.P99))
	return ctx.Err()
}

// measureSustained primes every sender in its rooms, then runs the
// sustained phases: echo client, guidebot, echo client.
func (m *mode) measureSustained(ctx context.Context) error {
	began := time.Now()
	// Prime: each sender's first message in a room (and each responder's
	// first answer there) costs key sharing in encrypted rooms.
	type pair struct{ room, sender int }
	var pairs []pair
	for j, ps := range m.sustainPeers {
		for i := range ps {
			pairs = append(pairs, pair{j, i})
		}
	}
	err := parallel(ctx, len(pairs), 32, func(ctx context.Context, n int) error {
		j, i := pairs[n].room, pairs[n].sender
		cmd := timedCommands[n%len(timedCommands)]
		m.timed(ctx, m.sustainPeers[j][i], m.te[j], cmd, m.echo.cli.UserID, m.echo.expectedBody(cmd))
		if s, _ := m.sustainBot[j].acquire(ctx, time.Now().Add(time.Minute)); s != nil {
			m.timed(ctx, s.p, m.tb[j], cmd, m.botID, m.answers[cmd][0])
			m.sustainBot[j].release(s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.logf("%s: senders primed in %s", m.name(), time.Since(began).Round(time.Second))
	m.addProblemNotes("priming")

	// echo, guidebot, echo: the echo client's two halves straddle the
	// bot's phase, so a load that drifts during the run (other processes,
	// the homeserver's growing database) weighs on both alike.
	echoFrom := m.echo.cli.UserID
	echoWant := func(c string) string { return m.echo.expectedBody(c) }
	half := m.cfg.Duration / 2
	in0, n0 := m.echo.inside()
	echo1 := m.sustain(ctx, m.te, m.sustainEcho, echoFrom, echoWant, m.cfg.Warmup, half)
	in1, n1 := m.echo.inside()
	time.Sleep(2 * time.Second) // let stragglers drain
	if m.cfg.ProfileDir != "" {
		file := filepath.Join(m.cfg.ProfileDir, m.name()+"-sustained.cpu.pprof")
		if err := m.bot.startCPUProfile(file); err != nil {
			m.note("CPU profile: %v", err)
		} else {
			m.profiles = append(m.profiles, file)
			defer func() { _ = m.bot.stopCPUProfile() }()
		}
	}
	ticks0, t0 := m.bot.cpuTicks(), time.Now()
	sum0, count0, herr := m.bot.histogram(ctx, "guidebot_command_duration_seconds")
	bot := m.sustain(ctx, m.tb, m.sustainBot, m.botID, func(c string) string { return m.answers[c][0] }, m.cfg.Warmup, m.cfg.Duration)
	if m.cfg.ProfileDir != "" {
		// blocking since the process started: this (restarted-later)
		// process has done little else than the timed phases
		for _, which := range []string{"block", "mutex"} {
			file := filepath.Join(m.cfg.ProfileDir, m.name()+"-sustained."+which+".pprof")
			if err := m.bot.saveProfile(which, file); err == nil {
				m.profiles = append(m.profiles, file)
			}
		}
	}
	if sum1, count1, err := m.bot.histogram(ctx, "guidebot_command_duration_seconds"); herr == nil && err == nil && count1 > count0 {
		m.res.BotInside = time.Duration((sum1 - sum0) / (count1 - count0) * float64(time.Second))
	}
	// how busy the bot itself was: a bot far from a full core is held back
	// by waiting, not by its own work
	m.res.BotCPU = float64(m.bot.cpuTicks()-ticks0) / clockTicks / time.Since(t0).Seconds()
	m.res.BotRate, m.res.BotLoad = bot.rate(), Summarize(bot.rts, bot.lost)
	m.logf("%s: guidebot %.1f answers/s", m.name(), bot.rate())
	time.Sleep(2 * time.Second)

	in2, n2 := m.echo.inside()
	echo2 := m.sustain(ctx, m.te, m.sustainEcho, echoFrom, echoWant, m.cfg.Warmup, m.cfg.Duration-half)
	in3, n3 := m.echo.inside()
	if n := (n1 - n0) + (n3 - n2); n > 0 {
		m.res.EchoInside = ((in1 - in0) + (in3 - in2)) / time.Duration(n)
	}
	echo := echo1.plus(echo2)
	m.res.EchoRate, m.res.EchoLoad = echo.rate(), Summarize(echo.rts, echo.lost)
	m.logf("%s: echo client %.1f answers/s (%.1f before, %.1f after)", m.name(), echo.rate(), echo1.rate(), echo2.rate())
	for _, p := range []struct {
		who string
		s   sustained
	}{{"echo", echo}, {"guidebot", bot}} {
		if p.s.inFlight > 0 {
			m.note("%s phase: %d commands were still unanswered 5 s after it ended (queued at the homeserver)", p.who, p.s.inFlight)
		}
		if share := p.s.waitShare(len(m.tb)); share > 0.01 {
			m.note("%s phase: senders had to wait for their flood allowance %.0f %% of the time; add senders", p.who, 100*share)
		}
	}
	return ctx.Err()
}

// loadMemory keeps guidebot busy in its sustained rooms, now that it is in
// all its rooms, and reads its resident memory meanwhile.
func (m *mode) loadMemory(ctx context.Context) error {
	var maxRSS atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, _, err := m.bot.memory(); err == nil && rss > maxRSS.Load() {
				maxRSS.Store(rss)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	dur := max(m.cfg.Duration/2, 4*time.Second)
	run := m.sustain(ctx, m.tb, m.sustainBot, m.botID, func(c string) string { return m.answers[c][0] }, m.cfg.Warmup, dur)
	close(stop)
	<-sampled
	m.res.RSSLoad = maxRSS.Load()
	m.res.BotRateAll = run.rate()
	if _, hwm, err := m.bot.memory(); err == nil {
		m.res.RSSPeak = hwm
	}
	if m.cfg.ProfileDir != "" {
		file := filepath.Join(m.cfg.ProfileDir, m.name()+"-load.heap.pprof")
		if err := m.bot.heapProfile(file); err == nil {
			m.profiles = append(m.profiles, file)
		}
	}
	m.logf("%s: guidebot in %d rooms: %.1f answers/s, VmRSS max %s", m.name(), m.res.MemoryRooms, run.rate(), mb(m.res.RSSLoad))
	return ctx.Err()
}

// addProblemNotes moves the problems counted so far into the notes.
func (m *mode) addProblemNotes(prefix string) {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	for kind, n := range m.problems {
		m.note("%s: %d× %s", prefix, n, kind)
	}
	m.problems = nil
}

// sustained is what one or more sustained phases of a responder counted.
type sustained struct {
	dur      time.Duration   // measured time
	answered int             // answers received within it
	rts      []time.Duration // their round trips
	lost     int             // commands that failed (not merely late)
	inFlight int             // commands still unanswered 5 s after the phase ended
	waited   time.Duration   // time senders were the limit, summed over rooms
}

func (s sustained) rate() float64 {
	if s.dur <= 0 {
		return 0
	}
	return float64(s.answered) / s.dur.Seconds()
}

func (s sustained) waitShare(rooms int) float64 {
	if s.dur <= 0 || rooms == 0 {
		return 0
	}
	return s.waited.Seconds() / (s.dur.Seconds() * float64(rooms))
}

func (s sustained) plus(o sustained) sustained {
	return sustained{
		dur: s.dur + o.dur, answered: s.answered + o.answered,
		rts:  append(append([]time.Duration{}, s.rts...), o.rts...),
		lost: s.lost + o.lost, inFlight: s.inFlight + o.inFlight, waited: s.waited + o.waited,
	}
}

// sustain keeps one command in flight in every room for warm+dur and
// counts the answers that arrive within the measured dur.
func (m *mode) sustain(ctx context.Context, rooms []id.RoomID, pools []*pool, from id.UserID, want func(string) string, warm, dur time.Duration) sustained {
	start := time.Now()
	from0 := start.Add(warm)
	to := from0.Add(dur)
	var (
		mu       sync.Mutex
		rts      []time.Duration
		lost     int
		inFlight int
		answered int
		waited   time.Duration
	)
	_ = parallel(ctx, len(rooms), len(rooms), func(ctx context.Context, j int) error {
		for i := 0; time.Now().Before(to); i++ {
			s, w := pools[j].acquire(ctx, to)
			if s == nil {
				mu.Lock()
				waited += w
				mu.Unlock()
				return nil
			}
			pools[j].release(s)
			cmd := timedCommands[(i+j)%len(timedCommands)]
			// stop waiting soon after the window: later answers do not count
			wait := min(answerTimeout, time.Until(to)+5*time.Second)
			r := m.roundTrip(ctx, s.p, rooms[j], cmd, from, want(cmd), wait)
			mu.Lock()
			if r.sent.After(from0) {
				waited += w
			}
			switch {
			case r.status == "" && !r.at.Before(from0) && !r.at.After(to):
				answered++
				rts = append(rts, r.at.Sub(r.sent))
			case r.status == statusNoAnswer && wait < answerTimeout:
				inFlight++ // still queued when the phase ended
			case r.status != "":
				lost++
				m.problem(from.Localpart() + ": " + r.status)
			}
			mu.Unlock()
			if r.status != "" && r.status != statusNoAnswer {
				time.Sleep(100 * time.Millisecond) // no hot loop on errors
			}
		}
		return nil
	})
	return sustained{dur: dur, answered: answered, rts: rts, lost: lost, inFlight: inFlight, waited: waited}
}

// collect reads guidebot's own counters and its log for the notes.
func (m *mode) collect(ctx context.Context) error {
	if n, err := m.bot.metric(ctx, "guidebot_commands_total", `outcome="limited"`); err == nil && n > 0 {
		m.note("guidebot dropped %.0f commands at its flood limit since the restart (start probes included)", n)
	}
	if n, err := m.bot.metric(ctx, "guidebot_commands_total", `outcome="error"`); err == nil && n > 0 {
		m.note("guidebot failed to send %.0f answers", n)
	}
	if n, err := m.bot.metric(ctx, "guidebot_decrypt_failures_total"); err == nil && n > 0 {
		m.note("guidebot could not decrypt %.0f messages (start probes sent before its keys were known included)", n)
	}
	if n, err := m.bot.metric(ctx, "guidebot_sync_errors_total"); err == nil && n > 0 {
		m.note("guidebot had %.0f sync errors", n)
	}
	if exited, err := m.bot.exited(); exited {
		return fmt.Errorf("guidebot exited during the run (%v); see %s", err, m.bot.logPath)
	}
	if err := m.bot.stop(); err != nil {
		m.note("stopping guidebot: %v", err)
	}
	if n, samples := m.bot.logProblems(); n > 0 {
		m.note("guidebot logged %d warnings/errors, e.g. %s", n, strings.Join(samples, "; "))
	}
	return nil
}

func ciDurations(lo, hi float64) [2]time.Duration {
	return [2]time.Duration{time.Duration(lo), time.Duration(hi)}
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
