package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/guidebot/guidebot/bot/bottest"
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

// provenance names the commit the bot is built from, and the files that
// differ from it (the tree may be in the middle of someone's work).
func provenance(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "an unknown commit (not a git checkout)"
	}
	desc := "commit " + strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--",
		".", ":!cmd/guidebot-load").Output()
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
	root, err := bottest.ModuleRoot(ctx)
	if err != nil {
		return "", "", err
	}
	from = provenance(ctx, root)
	bin = filepath.Join(dir, "guidebot")
	var overlay map[string]string
	if profile {
		src := filepath.Join(dir, "loadtest_pprof.go")
		if err := os.WriteFile(src, []byte(pprofOverlay), 0o600); err != nil {
			return "", "", err
		}
		overlay = map[string]string{filepath.Join(root, "cmd", "guidebot", "zz_loadtest_pprof.go"): src}
	}
	if err := bottest.BuildGuidebot(ctx, bin, overlay); err != nil {
		return "", "", err
	}
	return bin, from, nil
}

// botProc is guidebot running as its own process (bottest.Bot), so that
// its resident memory is its alone, with what the load tool reads of it
// besides: memory and CPU time from /proc, and profiles when built with
// the pprof overlay.
type botProc struct {
	*bottest.Bot
	pprofAddr string // "" unless profiling
	// startProfile, when set, is where the next start writes a CPU
	// profile begun before main (stopped with stopCPUProfile).
	startProfile string
}

func newBotProc(bin, dir string, s bottest.BotConfig, profile bool) (*botProc, error) {
	// info is what an operator runs; json is cheaper than pretty
	s.LogLevel, s.PickleKey = "info", "guidebot load test pickle key, 32+ characters"
	s.NoFloodLimit = true // see pool.go
	b, err := bottest.NewBot(bin, dir, s)
	if err != nil {
		return nil, err
	}
	p := &botProc{Bot: b}
	if profile {
		if p.pprofAddr, err = bottest.FreeAddr(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// start launches `guidebot run -c config.yaml` and returns when the
// process has been created: the start of "start to first answer".
func (p *botProc) start() (time.Time, error) {
	p.Env = nil
	if p.pprofAddr != "" {
		p.Env = append(p.Env, "GUIDEBOT_LOADTEST_PPROF="+p.pprofAddr)
		if p.startProfile != "" {
			p.Env = append(p.Env, "GUIDEBOT_LOADTEST_CPU_AT_START="+p.startProfile)
			p.startProfile = ""
		}
	}
	return p.Start()
}

// memory reads VmRSS and VmHWM of the running bot, in bytes.
func (p *botProc) memory() (rss, hwm uint64, err error) {
	pid := p.Pid()
	if pid == 0 {
		return 0, 0, errors.New("guidebot is not running")
	}
	status := fmt.Sprintf("/proc/%d/status", pid)
	r, ok1 := procField(status, "VmRSS")
	h, ok2 := procField(status, "VmHWM")
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("no VmRSS/VmHWM in %s", status)
	}
	return r * 1024, h * 1024, nil
}

// cpuTicks is the bot process's CPU time so far, in clock ticks.
func (p *botProc) cpuTicks() uint64 {
	pid := p.Pid()
	if pid == 0 {
		return 0
	}
	return procTicks(fmt.Sprintf("/proc/%d/stat", pid), false)
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
	f, err := os.Open(p.LogPath)
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
