package bot

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/rs/zerolog"
)

// The bots' logs are audited after the whole run, since a log must never
// show a secret nor, at info level and above, what users wrote: every bot
// the harness starts logs at debug level, as JSON, into one file per test
// binary; the harness records every secret it hands a bot or sees one use
// (passwords, pickle keys, access tokens) and the markers test users put in
// their messages. TestMain then fails the run if a secret appears in any
// line, or a marker in a line at info level or above.
var runLog = &logAudit{secrets: map[string]string{}, markers: map[string]string{}}

type logAudit struct {
	mu      sync.Mutex
	f       *os.File
	lines   int
	secrets map[string]string // secret → its kind, for the report
	markers map[string]string // marker → the test that sent it
}

// open starts the run's log file.
func (a *logAudit) open() error {
	f, err := os.CreateTemp("", "guidebot-test-bots-*.log")
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.f = f
	a.mu.Unlock()
	return nil
}

// Write takes one JSON line from a bot's logger (zerolog writes each event
// in one call, so lines never interleave).
func (a *logAudit) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return len(p), nil
	}
	a.lines++
	return a.f.Write(p)
}

// secret records a value that must never be logged. Values too short to be
// told apart from ordinary text are not worth checking (and are no secret).
func (a *logAudit) secret(kind, value string) {
	if len(value) < 6 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.secrets[value]; !ok {
		a.secrets[value] = kind
	}
}

// marker returns a fresh word for a test user to put in a message: it must
// not show up in the bots' logs at info level or above.
func (a *logAudit) marker(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	m := "zqmark" + hex.EncodeToString(b[:])
	a.mu.Lock()
	a.markers[m] = t.Name()
	a.mu.Unlock()
	return m
}

// finish closes the log file and checks it. It returns the problems found
// (empty when all is well); the file is removed unless there are problems
// or GUIDEBOT_TEST_KEEP_LOGS is set.
func (a *logAudit) finish(botsStarted int) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	f := a.f
	a.f = nil
	defer f.Close()
	var probs []string
	if botsStarted > 0 && a.lines == 0 {
		probs = append(probs, fmt.Sprintf("%d bots ran but none logged anything: the log audit is not wired", botsStarted))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return append(probs, "reading the bots' log: "+err.Error())
	}
	found, err := scanLogs(f, a.secrets, a.markers)
	if err != nil {
		probs = append(probs, "reading the bots' log: "+err.Error())
	}
	probs = append(probs, found...)
	if len(probs) > 0 || os.Getenv("GUIDEBOT_TEST_KEEP_LOGS") != "" {
		fmt.Fprintf(os.Stderr, "bots' log kept in %s\n", f.Name())
	} else {
		_ = os.Remove(f.Name())
	}
	return probs
}

// scanLogs reads JSON log lines and reports, once per kind, a secret found
// in any line and a marker found in a line at info level or above. Reports
// name the kind of secret, the test and the log message, never the secret.
func scanLogs(r io.Reader, secrets, markers map[string]string) ([]string, error) {
	seen := map[string]bool{}
	var probs []string
	report := func(key, msg string) {
		if !seen[key] {
			seen[key] = true
			probs = append(probs, msg)
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"message"`
			Test  string `json:"test"`
		}
		_ = json.Unmarshal(line, &entry)
		for secret, kind := range secrets {
			if containsLogged(line, secret) {
				report("secret "+kind, fmt.Sprintf("%s found in the bots' log (line %d, test %s, level %s, message %q)",
					kind, n, entry.Test, entry.Level, entry.Msg))
			}
		}
		lvl, err := zerolog.ParseLevel(entry.Level)
		if err != nil || lvl < zerolog.InfoLevel {
			continue
		}
		for marker, test := range markers {
			if bytes.Contains(line, []byte(marker)) {
				report("marker "+test, fmt.Sprintf("message text sent by a test user (in %s) appears in the bots' log at level %s (line %d, message %q)",
					test, entry.Level, n, entry.Msg))
			}
		}
	}
	sort.Strings(probs)
	return probs, sc.Err()
}

// containsLogged reports whether line holds s as written, or as JSON
// escapes it.
func containsLogged(line []byte, s string) bool {
	if bytes.Contains(line, []byte(s)) {
		return true
	}
	esc, _ := json.Marshal(s)
	esc = esc[1 : len(esc)-1]
	return !bytes.Equal(esc, []byte(s)) && bytes.Contains(line, esc)
}

// recordConfigSecrets records the secrets a config gives a bot.
func recordConfigSecrets(cfg *config.Config) {
	runLog.secret("bot password", cfg.Matrix.Password)
	runLog.secret("access token", cfg.Matrix.AccessToken)
	if cfg.Encryption.Enabled {
		runLog.secret("pickle key", cfg.Encryption.PickleKey)
	}
	if cfg.Database.Type == "postgres" {
		if u, err := url.Parse(cfg.Database.URI); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				runLog.secret("database password", pw)
			}
		}
	}
}

// tokenSniffer records every access token a bot sends or is given by a
// login, whoever logged in (the bot itself, cryptohelper, a relogin).
type tokenSniffer struct{ next http.RoundTripper }

func (s tokenSniffer) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		runLog.secret("access token", tok)
	}
	next := s.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil || req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/login") {
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil // the client sees the short body and fails as it would
	}
	var login struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &login) == nil {
		runLog.secret("access token", login.AccessToken)
		runLog.secret("refresh token", login.RefreshToken)
	}
	return resp, nil
}

// botLogger is a started bot's logger: debug and JSON into the run's log
// and the test bot's own lines (for waitLog), and into the test log at
// warning level (debug with GUIDEBOT_TEST_LOG set).
func (tb *testBot) logger() zerolog.Logger {
	level := zerolog.WarnLevel
	if os.Getenv("GUIDEBOT_TEST_LOG") != "" {
		level = zerolog.DebugLevel
	}
	if tb.logs == nil {
		tb.logs = &logLines{cond: make(chan struct{})}
	}
	w := zerolog.MultiLevelWriter(
		&zerolog.FilteredLevelWriter{Writer: zerolog.LevelWriterAdapter{Writer: zerolog.NewTestWriter(tb.t)}, Level: level},
		runLog,
		tb.logs,
	)
	botsStarted.Add(1)
	return zerolog.New(w).Level(zerolog.DebugLevel).With().Str("who", "bot").Str("test", tb.t.Name()).Timestamp().Logger()
}

// logLines keeps one test bot's log lines, across its restarts.
type logLines struct {
	mu    sync.Mutex
	lines []map[string]any
	cond  chan struct{} // closed and replaced on every new line
}

func (l *logLines) Write(p []byte) (int, error) {
	var entry map[string]any
	if err := json.Unmarshal(p, &entry); err != nil {
		entry = map[string]any{"message": string(p)}
	}
	l.mu.Lock()
	l.lines = append(l.lines, entry)
	close(l.cond)
	l.cond = make(chan struct{})
	l.mu.Unlock()
	return len(p), nil
}

// mark returns the position of the next line, for waitLog.
func (tb *testBot) logMark() int {
	tb.logs.mu.Lock()
	defer tb.logs.mu.Unlock()
	return len(tb.logs.lines)
}

// waitLog waits for a line logged at or after mark with the given message
// and matching pred (nil: any), and returns it.
func (tb *testBot) waitLog(mark int, msg string, timeout time.Duration, pred func(map[string]any) bool) map[string]any {
	tb.t.Helper()
	deadline := time.After(timeout)
	for {
		tb.logs.mu.Lock()
		lines, cond := tb.logs.lines, tb.logs.cond
		tb.logs.mu.Unlock()
		for _, l := range lines[min(mark, len(lines)):] {
			if l["message"] == msg && (pred == nil || pred(l)) {
				return l
			}
		}
		mark = len(lines)
		select {
		case <-cond:
		case <-deadline:
			tb.t.Fatalf("timed out after %s waiting for the bot to log %q", timeout, msg)
			return nil
		}
	}
}

// TestScanLogs: the audit finds a secret however it is logged, names its
// kind without printing it, and lets markers through at debug level only.
func TestScanLogs(t *testing.T) {
	secrets := map[string]string{"s3cret-pass": "bot password", `tok"en1234`: "access token"}
	markers := map[string]string{"zqmarkabc": "TestX"}
	logs := strings.Join([]string{
		`{"level":"debug","message":"Request completed","req_body":{"body":"zqmarkabc"}}`,
		`{"level":"info","message":"Command handled","command":"help"}`,
		`{"level":"warn","message":"Login failed","error":"bad password s3cret-pass"}`,
		`{"level":"debug","message":"x","token":"tok\"en1234"}`,
		`{"level":"error","message":"Could not send","body":"hello zqmarkabc"}`,
	}, "\n")
	probs, err := scanLogs(strings.NewReader(logs), secrets, markers)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 3 {
		t.Fatalf("problems = %q, want 3", probs)
	}
	all := strings.Join(probs, "\n")
	for _, want := range []string{"bot password found", "access token found", "(in TestX)", "at level error"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "s3cret-pass") || strings.Contains(all, "en1234") {
		t.Errorf("a report prints the secret:\n%s", all)
	}
	if strings.Contains(all, "line 1,") {
		t.Errorf("a marker at debug level was reported:\n%s", all)
	}
}
