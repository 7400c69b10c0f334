package loadtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
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

	hs         *bottest.Homeserver
	hsDir      string
	dropHSDB   func() // drops the homeserver's PostgreSQL database
	clientLog  zerolog.Logger
	logFile    *os.File
	replies    *tracker
	deliveries *tracker
	commands   *tracker // commands seen by the observers, for their server timestamps

	botLogin      *bottest.Login
	botID         id.UserID
	echoPeer      *peer
	echo          *echoClient
	lead          *peer   // creates and watches the latency rooms, sends the start probes
	observers     []*peer // create and watch the sustained rooms
	fillers       []*peer // create the filler rooms
	latencyPeers  []*peer
	noisyPeers    []*peer // send into the noisy room at the default flood limit's pace
	latency       *pool
	sustainPeers  [][]*peer // per sustained room
	sustainBot    []*pool
	sustainEcho   []*pool
	peers         []*peer // every peer, to close
	lb, le, floor id.RoomID
	noisy         id.RoomID
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
	m.res = &ModeResult{Encrypted: m.enc, SustainedRooms: m.cfg.Rooms, Scaled: m.scaled()}
	defer func() {
		m.teardown()
		m.res.Took = time.Since(began)
	}()
	steps := []step{
		{"starting Dendrite", m.startHomeserver},
		{"registering accounts", m.setupAccounts},
		{"creating the latency rooms", m.setupLatencyRooms},
		{"first start of guidebot (new database)", m.firstStart},
		{"creating the sustained rooms", m.setupSustainedRooms},
		{"warming up", m.warmUp},
		{"measuring one-way delivery", m.measureFloor},
		{"measuring round trips", m.measureRoundTrips},
		{"measuring sustained commands", m.measureSustained},
		{"creating the noisy room", m.setupNoisyRoom},
		{"measuring the quiet room beside the noisy one", m.measureNoisy},
	}
	steps = append(steps, m.scaleSteps()...)
	steps = append(steps,
		step{"reading memory under load", m.loadMemory},
		step{"reading guidebot's metrics and log", m.collect},
	)
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

// step is one stage of a mode's run.
type step struct {
	what string
	f    func(context.Context) error
}

func (m *mode) teardown() {
	if m.bot != nil && m.bot.Running() {
		if err := m.bot.Stop(); err != nil {
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
	if m.dropHSDB != nil && !m.cfg.Keep {
		m.dropHSDB()
	}
	if m.logFile != nil {
		m.logFile.Close()
	}
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

// collect reads guidebot's own counters and its log for the notes.
func (m *mode) collect(ctx context.Context) error {
	if n, err := m.bot.Metric(ctx, "guidebot_commands_total", `outcome="limited"`); err == nil && n > 0 {
		m.note("guidebot dropped %.0f commands at its flood limit since the restart (start probes included)", n)
	}
	if n, err := m.bot.Metric(ctx, "guidebot_commands_total", `outcome="error"`); err == nil && n > 0 {
		m.note("guidebot failed to send %.0f answers", n)
	}
	if n, err := m.bot.Metric(ctx, "guidebot_decrypt_failures_total"); err == nil && n > 0 {
		m.note("guidebot could not decrypt %.0f messages (start probes sent before its keys were known included)", n)
	}
	if n, err := m.bot.Metric(ctx, "guidebot_sync_errors_total"); err == nil && n > 0 {
		m.note("guidebot had %.0f sync errors", n)
	}
	if exited, err := m.bot.Exited(); exited {
		return fmt.Errorf("guidebot exited during the run (%v); see %s (kept with -keep)", err, m.bot.LogPath)
	}
	if err := m.bot.Stop(); err != nil {
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
