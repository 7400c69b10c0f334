package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// pprofOverlay is compiled into cmd/guidebot (through go build -overlay,
// the tree is not touched) only when profiles are asked for: it serves
// net/http/pprof and start/stop of a CPU profile on a loopback address
// given in the environment, so one phase can be profiled on its own; it
// can start a CPU profile before main runs (to profile start-up), and
// makes log timestamps precise enough to follow a start.
const pprofOverlay = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

func init() {
	addr := os.Getenv("GUIDEBOT_LOADTEST_PPROF")
	if addr == "" {
		return
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	// where goroutines wait (locks, channels, database connections)
	runtime.SetBlockProfileRate(int(100 * time.Microsecond))
	runtime.SetMutexProfileFraction(10)
	var mu sync.Mutex
	var out *os.File
	if file := os.Getenv("GUIDEBOT_LOADTEST_CPU_AT_START"); file != "" {
		if f, err := os.Create(file); err == nil && pprof.StartCPUProfile(f) == nil {
			out = f
		}
	}
	http.HandleFunc("/loadtest/cpu/start", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.Create(r.URL.Query().Get("file"))
		if err == nil {
			if err = pprof.StartCPUProfile(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out = f
	})
	http.HandleFunc("/loadtest/cpu/stop", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		pprof.StopCPUProfile()
		if out != nil {
			out.Close()
			out = nil
		}
	})
	go func() { _ = http.ListenAndServe(addr, nil) }()
}
`

// moduleRoot finds the guidebot module's directory (for go build).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the guidebot module: run from its directory or pass the guidebot binary")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !strings.Contains(string(data), "module github.com/guidebot/guidebot\n") {
		return "", fmt.Errorf("%s is not the guidebot module", gomod)
	}
	return filepath.Dir(gomod), nil
}

// provenance names the commit the bot is built from, and the files that
// differ from it (the tree may be in the middle of someone's work).
func provenance(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "an unknown commit (not a git checkout)"
	}
	desc := "commit " + strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--",
		".", ":!bot/loadtest", ":!cmd/guidebot-load").Output()
	if err == nil {
		var files []string
		for _, line := range strings.Split(string(st), "\n") {
			if len(line) > 3 { // "XY path"
				files = append(files, line[3:])
			}
		}
		if len(files) > 0 {
			desc += " with uncommitted changes in " + strings.Join(files, ", ")
		}
	}
	return desc
}

// buildGuidebot builds ./cmd/guidebot with -tags goolm into dir, with the
// pprof overlay when profile is set. It also returns where it came from.
func buildGuidebot(ctx context.Context, dir string, profile bool) (bin, from string, err error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", "", err
	}
	from = provenance(ctx, root)
	bin = filepath.Join(dir, "guidebot")
	args := []string{"build", "-tags", "goolm", "-o", bin}
	if profile {
		src := filepath.Join(dir, "loadtest_pprof.go")
		if err := os.WriteFile(src, []byte(pprofOverlay), 0o600); err != nil {
			return "", "", err
		}
		overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{
			filepath.Join(root, "cmd", "guidebot", "zz_loadtest_pprof.go"): src,
		}})
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o600); err != nil {
			return "", "", err
		}
		args = append(args, "-overlay", ov)
	}
	args = append(args, "./cmd/guidebot")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build ./cmd/guidebot: %w\n%s", err, out)
	}
	return bin, from, nil
}

// botProc is guidebot running as its own process, so that its resident
// memory is its alone.
type botProc struct {
	bin       string
	dir       string
	cfgPath   string
	logPath   string
	httpAddr  string // /metrics and /healthz
	pprofAddr string // "" unless profiling
	// startProfile, when set, is where the next start writes a CPU
	// profile begun before main (stopped with stopCPUProfile).
	startProfile string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// botSettings are what the tool writes into the bot's config.yaml.
type botSettings struct {
	Homeserver, UserID, Password string
	Encrypted                    bool
}

func newBotProc(bin, dir string, s botSettings, profile bool) (*botProc, error) {
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &botProc{bin: bin, dir: dir, cfgPath: filepath.Join(dir, "config.yaml"),
		logPath: filepath.Join(dir, "guidebot.log"), httpAddr: httpAddr}
	if profile {
		if p.pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	cfg := map[string]any{
		"matrix":   map[string]any{"homeserver": s.Homeserver, "user_id": s.UserID, "password": s.Password, "device_name": "guidebot"},
		"database": map[string]any{"type": "sqlite3", "uri": filepath.Join(dir, "guidebot.db")},
		"encryption": map[string]any{
			"enabled": s.Encrypted, "pickle_key": "guidebot load test pickle key",
		},
		"rooms":         map[string]any{"auto_join": true, "allowed_inviters": []string{"*:localhost"}},
		"announcements": map[string]any{"schedule": ""},
		"http":          map[string]any{"listen": httpAddr},
		// info is what an operator runs; json is cheaper than pretty
		"logging": map[string]any{"level": "info", "format": "json"},
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return p, os.WriteFile(p.cfgPath, data, 0o600)
}

// start launches `guidebot run -c config.yaml` and returns when the
// process has been created: the start of "start to first answer".
func (p *botProc) start() (time.Time, error) {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return time.Time{}, err
	}
	cmd := exec.Command(p.bin, "run", "-c", p.cfgPath)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// GUIDEBOT_* in the caller's environment would override the config
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GUIDEBOT_") {
			env = append(env, kv)
		}
	}
	if p.pprofAddr != "" {
		env = append(env, "GUIDEBOT_LOADTEST_PPROF="+p.pprofAddr)
		if p.startProfile != "" {
			env = append(env, "GUIDEBOT_LOADTEST_CPU_AT_START="+p.startProfile)
			p.startProfile = ""
		}
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return time.Time{}, fmt.Errorf("starting guidebot: %w", err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() { p.err = cmd.Wait(); logf.Close(); close(done) }()
	return began, nil
}

// exited reports whether the process has ended (and how).
func (p *botProc) exited() (bool, error) {
	if p.done == nil {
		return true, nil
	}
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop sends SIGTERM and waits for the bot to finish its batch and exit;
// SIGKILL after 20 s.
func (p *botProc) stop() error {
	if p.cmd == nil {
		return nil
	}
	cmd, done := p.cmd, p.done
	p.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return p.err
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("guidebot did not stop within 20 s of SIGTERM; killed")
	}
}

// memory reads VmRSS and VmHWM of the running bot, in bytes.
func (p *botProc) memory() (rss, hwm uint64, err error) {
	if p.cmd == nil {
		return 0, 0, errors.New("guidebot is not running")
	}
	status := fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)
	r, ok1 := procField(status, "VmRSS")
	h, ok2 := procField(status, "VmHWM")
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("no VmRSS/VmHWM in %s", status)
	}
	return r * 1024, h * 1024, nil
}

// cpuTicks is the bot process's CPU time so far, in clock ticks.
func (p *botProc) cpuTicks() uint64 {
	if p.cmd == nil {
		return 0
	}
	return procTicks(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid), false)
}

// metric sums the samples of a Prometheus metric whose labels contain
// every want fragment (e.g. `outcome="limited"`).
func (p *botProc) metric(ctx context.Context, name string, want ...string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.httpAddr+"/metrics", nil)
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

// histogram returns the _sum and _count of a Prometheus histogram, over
// all its labels.
func (p *botProc) histogram(ctx context.Context, name string) (sum float64, count float64, err error) {
	if sum, err = p.metric(ctx, name+"_sum"); err != nil {
		return 0, 0, err
	}
	count, err = p.metric(ctx, name+"_count")
	return sum, count, err
}

// startCPUProfile and stopCPUProfile drive the overlay's CPU profiler.
func (p *botProc) startCPUProfile(file string) error {
	return p.pprofGet("/loadtest/cpu/start?file=" + url.QueryEscape(file))
}

func (p *botProc) stopCPUProfile() error { return p.pprofGet("/loadtest/cpu/stop") }

// heapProfile saves the in-use heap (after a GC) to file.
func (p *botProc) heapProfile(file string) error { return p.saveProfile("heap?gc=1", file) }

// saveProfile saves /debug/pprof/<which> to file.
func (p *botProc) saveProfile(which, file string) error {
	resp, err := http.Get("http://" + p.pprofAddr + "/debug/pprof/" + which)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (p *botProc) pprofGet(path string) error {
	if p.pprofAddr == "" {
		return errors.New("not profiling")
	}
	resp, err := http.Get("http://" + p.pprofAddr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s", path, body)
	}
	return nil
}

// logProblems counts warn and error lines in the bot's JSON log and
// returns a few distinct messages, for the notes.
func (p *botProc) logProblems() (n int, samples []string) {
	f, err := os.Open(p.logPath)
	if err != nil {
		return 0, nil
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Level   string `json:"level"`
			Message string `json:"message"`
			Error   string `json:"error"`
			URL     string `json:"url"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || (line.Level != "warn" && line.Level != "error") {
			continue
		}
		if line.Message == "Request canceled" && strings.Contains(line.URL, "/sync") {
			continue // the long poll cut short by SIGTERM: every stop logs one
		}
		n++
		msg := line.Level + ": " + line.Message
		if line.Error != "" {
			msg += ": " + line.Error
		}
		if len(msg) > 160 {
			msg = msg[:160] + "…"
		}
		if !seen[line.Message] && len(samples) < 5 {
			seen[line.Message] = true
			samples = append(samples, msg)
		}
	}
	return n, samples
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
