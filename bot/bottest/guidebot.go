package bottest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// BotConfig is what NewBot writes into the bot's config.yaml. The database
// is SQLite in the bot's directory; the bot joins rooms it is invited to
// by anyone on the test homeserver; scheduled announcements are off.
type BotConfig struct {
	Homeserver string // the homeserver's URL (or a proxy's in front of it)
	UserID     string
	Password   string
	Encrypted  bool
	PickleKey  string // a random one when empty
	DeviceName string // "guidebot" when empty
	LogLevel   string // "info" when empty; the log is JSON
	// NoFloodLimit turns the per-user flood limit off (bot.rate_limit: 0).
	NoFloodLimit bool
}

// Bot is the real guidebot binary running as its own process
// (`guidebot run -c config.yaml`), so that it can be killed for real and
// its memory is its own. The zero value is not usable: call NewBot. A Bot
// may be started again after it stopped or was killed, on the same
// database. Its methods are not safe for concurrent use, except Running,
// Exited, Pid and the log and metrics readers.
type Bot struct {
	Bin        string // the guidebot binary
	Dir        string // its working directory: config, database, log
	ConfigPath string
	LogPath    string // stdout and stderr of every start, appended
	HTTPAddr   string // 127.0.0.1:PORT of /healthz and /metrics
	Config     BotConfig
	// Env is added to the environment of the next starts. GUIDEBOT_*
	// variables of the caller's environment are not passed on: they would
	// override the config.
	Env []string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, once done
	stopped bool          // ended by Stop or Kill
	runs    int
}

// NewBot writes the config for a bot running bin in dir (which it
// creates), with /healthz and /metrics on a free loopback port.
func NewBot(bin, dir string, c BotConfig) (*Bot, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	if c.PickleKey == "" {
		var key [16]byte
		_, _ = rand.Read(key[:])
		c.PickleKey = "pickle-" + hex.EncodeToString(key[:])
	}
	if c.DeviceName == "" {
		c.DeviceName = "guidebot"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	botSection := map[string]any{"prefix": "!"}
	if c.NoFloodLimit {
		botSection["rate_limit"] = 0
	}
	b := &Bot{Bin: bin, Dir: dir, ConfigPath: filepath.Join(dir, "config.yaml"),
		LogPath: filepath.Join(dir, "guidebot.log"), HTTPAddr: addr, Config: c}
	cfg := map[string]any{
		"matrix":        map[string]any{"homeserver": c.Homeserver, "user_id": c.UserID, "password": c.Password, "device_name": c.DeviceName},
		"database":      map[string]any{"type": "sqlite3", "uri": filepath.Join(dir, "guidebot.db")},
		"encryption":    map[string]any{"enabled": c.Encrypted, "pickle_key": c.PickleKey},
		"bot":           botSection,
		"rooms":         map[string]any{"auto_join": true, "allowed_inviters": []string{"*:" + ServerName}},
		"announcements": map[string]any{"schedule": ""},
		"http":          map[string]any{"listen": addr},
		"logging":       map[string]any{"level": c.LogLevel, "format": "json"},
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return b, os.WriteFile(b.ConfigPath, data, 0o600)
}

// Start launches the process and returns when it has been created (the
// start of "start to first answer"); WaitHealthy waits for its first sync.
func (b *Bot) Start() (time.Time, error) {
	if b.Running() {
		return time.Time{}, errors.New("bottest: the bot is already running")
	}
	logf, err := os.OpenFile(b.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return time.Time{}, err
	}
	b.runs++
	fmt.Fprintf(logf, "{\"bottest\":\"---- start #%d ----\"}\n", b.runs)
	cmd := exec.Command(b.Bin, "run", "-c", b.ConfigPath)
	cmd.Dir = b.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GUIDEBOT_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, b.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return time.Time{}, fmt.Errorf("starting guidebot: %w", err)
	}
	done := make(chan struct{})
	b.mu.Lock()
	b.cmd, b.done, b.err, b.stopped = cmd, done, nil, false
	b.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		b.mu.Lock()
		b.err = err
		b.mu.Unlock()
		close(done)
	}()
	return began, nil
}

var healthClient = &http.Client{Timeout: 2 * time.Second}

// HealthURL is the bot's /healthz.
func (b *Bot) HealthURL() string { return "http://" + b.HTTPAddr + "/healthz" }

// WaitHealthy waits until /healthz answers 200 (the bot has synced), the
// process exits, or timeout passes.
func (b *Bot) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := healthClient.Get(b.HealthURL())
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		b.mu.Lock()
		done := b.done
		b.mu.Unlock()
		if done == nil {
			return errors.New("bottest: the bot was not started")
		}
		select {
		case <-done:
			_, err := b.Exited()
			return fmt.Errorf("guidebot exited before its first sync: %v\n%s", err, b.LogTail(30))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("guidebot not healthy %s after start\n%s", timeout, b.LogTail(30))
		}
	}
}

// StartHealthy is Start then WaitHealthy.
func (b *Bot) StartHealthy(timeout time.Duration) error {
	if _, err := b.Start(); err != nil {
		return err
	}
	return b.WaitHealthy(timeout)
}

// Running reports whether the process started last is still alive.
func (b *Bot) Running() bool {
	b.mu.Lock()
	done := b.done
	b.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Exited reports whether the process started last has ended by itself
// (not by Stop or Kill), and its exit status.
func (b *Bot) Exited() (bool, error) {
	b.mu.Lock()
	done, stopped := b.done, b.stopped
	b.mu.Unlock()
	if done == nil || stopped {
		return false, nil
	}
	select {
	case <-done:
		b.mu.Lock()
		defer b.mu.Unlock()
		return true, b.err
	default:
		return false, nil
	}
}

// Pid is the running process's ID, 0 when none runs.
func (b *Bot) Pid() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil || b.cmd.Process == nil {
		return 0
	}
	select {
	case <-b.done:
		return 0
	default:
		return b.cmd.Process.Pid
	}
}

// Kill sends SIGKILL and waits (10 s at most) for the process to be gone.
func (b *Bot) Kill() error {
	if !b.Running() {
		return errors.New("bottest: Kill: the bot is not running")
	}
	b.mu.Lock()
	cmd, done := b.cmd, b.done
	b.stopped = true
	b.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("guidebot survived SIGKILL for 10 s")
	}
}

// Stop ends the process gracefully (SIGTERM: it finishes its batch) and
// waits; SIGKILL after 20 s, reported as an error. A bot that is not
// running stops without error.
func (b *Bot) Stop() error {
	if !b.Running() {
		return nil
	}
	b.mu.Lock()
	cmd, done := b.cmd, b.done
	b.stopped = true
	b.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.err
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("guidebot did not stop within 20 s of SIGTERM; killed")
	}
}

// LogLines returns the lines of the bot's log (every start) that keep
// accepts.
func (b *Bot) LogLines(keep func(string) bool) []string {
	f, err := os.Open(b.LogPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if keep(sc.Text()) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// LogTail returns the last n lines of the bot's log.
func (b *Bot) LogTail(n int) string {
	lines := b.LogLines(func(string) bool { return true })
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Metric scrapes /metrics and sums the samples of a Prometheus metric
// whose labels contain every want fragment (e.g. `outcome="limited"`).
func (b *Bot) Metric(ctx context.Context, name string, want ...string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.HTTPAddr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
next:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // another metric sharing the prefix
		}
		for _, w := range want {
			if !strings.Contains(rest, w) {
				continue next
			}
		}
		fields := strings.Fields(rest)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// Histogram returns the _sum and _count of a Prometheus histogram, over
// all its labels.
func (b *Bot) Histogram(ctx context.Context, name string) (sum, count float64, err error) {
	if sum, err = b.Metric(ctx, name+"_sum"); err != nil {
		return 0, 0, err
	}
	count, err = b.Metric(ctx, name+"_count")
	return sum, count, err
}
