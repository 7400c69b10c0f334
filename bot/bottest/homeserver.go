package bottest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// DendriteVersion is the Dendrite release the harness runs.
const DendriteVersion = "v0.13.8"

// ServerName is the homeserver's name: user IDs are @name:localhost.
const ServerName = "localhost"

// InstallHint tells how to get the Dendrite binaries by hand.
const InstallHint = `install them with:
  GOBIN=${XDG_CACHE_HOME:-$HOME/.cache}/guidebot/dendrite-` + DendriteVersion + `/bin \
    go install github.com/matrix-org/dendrite/cmd/{dendrite,generate-keys,generate-config}@` + DendriteVersion + `
or point $GUIDEBOT_DENDRITE_BIN at a directory holding them`

// binaries are the Dendrite commands the harness runs.
var binaries = []string{"dendrite", "generate-keys", "generate-config"}

var installOnce sync.Once
var installErr error

// install builds the binaries into the default cache directory with
// `go install` from the Go module proxy, once, so that `go test ./...` on a
// fresh clone needs nothing else (it takes a few minutes the first time).
// A directory named by $GUIDEBOT_DENDRITE_BIN is the caller's to fill.
func install(bin string) error {
	installOnce.Do(func() {
		if os.Getenv("GUIDEBOT_DENDRITE_BIN") != "" {
			installErr = errors.New("$GUIDEBOT_DENDRITE_BIN is set, so the harness does not install there")
			return
		}
		args := []string{"install"}
		for _, name := range binaries {
			args = append(args, "github.com/matrix-org/dendrite/cmd/"+name+"@"+DendriteVersion)
		}
		cmd := exec.Command("go", args...)
		// Outside any module, so the project's go.mod does not interfere.
		cmd.Dir = os.TempDir()
		cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=")
		fmt.Fprintf(os.Stderr, "bottest: building Dendrite %s into %s (first run only)...\n", DendriteVersion, bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			installErr = fmt.Errorf("go install dendrite %s: %w: %s", DendriteVersion, err, out)
		}
	})
	return installErr
}

// DendriteBinDir returns the directory holding the Dendrite binaries:
// $GUIDEBOT_DENDRITE_BIN, else ${XDG_CACHE_HOME:-$HOME/.cache}/guidebot/dendrite-v0.13.8/bin.
func DendriteBinDir() string {
	if d := os.Getenv("GUIDEBOT_DENDRITE_BIN"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "guidebot", "dendrite-"+DendriteVersion, "bin")
}

// Homeserver is one running Dendrite, on 127.0.0.1 only: no federation,
// SQLite under its directory (or a PostgreSQL database, see
// StartHomeserverOn), rate limits off, accounts registered with the shared
// secret. Start it with StartHomeserver.
type Homeserver struct {
	URL    string // http://127.0.0.1:PORT
	dir    string
	bin    string
	port   int
	secret string
	db     string // PostgreSQL URL for every component; "" for SQLite

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartHomeserver generates keys and a config under dir and starts
// Dendrite on a free loopback port, returning once it answers /versions.
// The binaries come from DendriteBinDir; when they are missing and
// $GUIDEBOT_DENDRITE_BIN is unset, they are built there first with go
// install (a few minutes, once). Stop it when done.
func StartHomeserver(dir string) (*Homeserver, error) {
	return StartHomeserverOn(dir, "")
}

// StartHomeserverOn is StartHomeserver with every Dendrite component in the
// PostgreSQL database at db (an empty database of its own); db "" keeps
// SQLite files under dir.
func StartHomeserverOn(dir, db string) (*Homeserver, error) {
	bin := DendriteBinDir()
	for _, name := range binaries {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			if ierr := install(bin); ierr != nil {
				return nil, fmt.Errorf("dendrite %s binary %q not found in %s, and building it failed (%w); %s", DendriteVersion, name, bin, ierr, InstallHint)
			}
			if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
				return nil, fmt.Errorf("dendrite %s binary %q still missing after go install: %w", DendriteVersion, name, err)
			}
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Homeserver{
		URL:    fmt.Sprintf("http://127.0.0.1:%d", port),
		dir:    dir,
		bin:    bin,
		port:   port,
		secret: randomHex(16),
		db:     db,
	}
	if err := s.configure(); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Homeserver) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", name, err, out)
	}
	return out, nil
}

// configure writes matrix_key.pem and dendrite.yaml.
func (s *Homeserver) configure() error {
	if err := os.MkdirAll(filepath.Join(s.dir, "data"), 0o700); err != nil {
		return err
	}
	if _, err := s.run("generate-keys", "--private-key", "matrix_key.pem"); err != nil {
		return err
	}
	args := []string{"-dir", filepath.Join(s.dir, "data"), "-server", ServerName}
	if s.db != "" {
		args = append(args, "-db", s.db)
	}
	out, err := s.run("generate-config", args...)
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(out, &cfg); err != nil {
		return fmt.Errorf("parsing generated config: %w", err)
	}
	global := cfg["global"].(map[string]any)
	global["private_key"] = filepath.Join(s.dir, "matrix_key.pem")
	global["disable_federation"] = true
	if s.db != "" {
		// Dendrite's default keeps 2 of its 90 connections idle: under
		// load it keeps opening new ones (a PostgreSQL fork each), which
		// made one-way delivery 124 ms instead of 23 ms here.
		db := global["database"].(map[string]any)
		db["max_idle_conns"] = db["max_open_conns"]
	}
	client := cfg["client_api"].(map[string]any)
	client["registration_shared_secret"] = s.secret
	client["rate_limiting"] = map[string]any{"enabled": false, "threshold": 5, "cooloff_ms": 500}
	cfg["logging"] = []any{map[string]any{"type": "std", "level": "warn"}}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, "dendrite.yaml"), data, 0o600)
}

// start launches the server process and waits until it answers.
func (s *Homeserver) start() error {
	logf, err := os.OpenFile(filepath.Join(s.dir, "dendrite.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(s.bin, "dendrite"),
		"--config", filepath.Join(s.dir, "dendrite.yaml"),
		"--http-bind-address", fmt.Sprintf("127.0.0.1:%d", s.port))
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// its own process group, so a stop reaches any child too
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting dendrite: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("dendrite exited during start-up; log:\n%s", s.LogTail(40))
		default:
		}
		resp, err := http.Get(s.URL + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = s.Stop()
	return fmt.Errorf("dendrite did not answer /versions within 90 s; log:\n%s", s.LogTail(40))
}

// Stop terminates the server (SIGTERM, then SIGKILL after 10 s).
func (s *Homeserver) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	return nil
}

// Resume starts a stopped homeserver again with the same data and port.
func (s *Homeserver) Resume() error { return s.start() }

// Restart stops the server and starts it again on the same port with the
// same data, as a homeserver upgrade or crash would.
func (s *Homeserver) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start()
}

// LogTail returns the last n lines of the server's log.
func (s *Homeserver) LogTail(n int) string {
	data, _ := os.ReadFile(filepath.Join(s.dir, "dendrite.log"))
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// UserID returns the full ID of a localpart on this server.
func UserID(localpart string) string { return "@" + localpart + ":" + ServerName }

// Register creates an account through the shared-secret registration API
// and returns its user ID.
func (s *Homeserver) Register(ctx context.Context, localpart, password string) (string, error) {
	if _, err := s.RegisterLogin(ctx, localpart, password); err != nil {
		return "", err
	}
	return UserID(localpart), nil
}

func doJSON(ctx context.Context, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("finding a free port: not a TCP address")
	}
	return addr.Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// FreePort returns a loopback TCP port free right now, for other services
// a test starts beside the homeserver.
func FreePort() (int, error) { return freePort() }

// FreeAddr is FreePort as a listen address, "127.0.0.1:PORT".
func FreeAddr() (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}
