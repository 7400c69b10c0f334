package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

const goodPickle = "0123456789abcdef0123456789abcdef"

func TestAllowedInvitersEmptyAcceptsNobodyAndWarns(t *testing.T) {
	clearEnv(t)
	p := writeConfig(t, validConfig+"rooms:\n  allowed_inviters: []\n")
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rooms.InviterAllowed("@anyone:example.org") {
		t.Error("an empty allowed_inviters lets anyone invite the bot")
	}
	want := p + `:9:21: warning: rooms.allowed_inviters is empty: nobody can invite the bot; use "*" to allow everyone`
	if ws := cfg.Warnings(); len(ws) != 1 || ws[0] != want {
		t.Errorf("warnings = %q, want [%q]", ws, want)
	}

	cfg, err = LoadConfig(writeConfig(t, validConfig+"rooms:\n  allowed_inviters: [\"*\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Rooms.InviterAllowed("@anyone:example.org") || len(cfg.Warnings()) != 0 {
		t.Errorf(`"*" does not allow everyone quietly: warnings %q`, cfg.Warnings())
	}

	// Nobody can invite when auto_join is off anyway: nothing to warn about.
	cfg, _ = LoadConfig(writeConfig(t, validConfig+"rooms:\n  auto_join: false\n"))
	if ws := cfg.Warnings(); len(ws) != 0 {
		t.Errorf("auto_join false: warnings %q", ws)
	}
}

func TestEmptyEnvironmentVariableCountsAsUnset(t *testing.T) {
	clearEnv(t)
	t.Setenv("GUIDEBOT_ROOMS_ALLOWED_INVITERS", "")
	t.Setenv("GUIDEBOT_MATRIX_PASSWORD", "")
	t.Setenv("GUIDEBOT_BOT_PREFIX", " ")
	t.Setenv("GUIDEBOT_BOT_RATE_LIMIT", "")
	t.Setenv("GUIDEBOT_ENCRYPTION_ENABLED", "")
	cfg, err := LoadConfig(writeConfig(t, validConfig+"rooms:\n  allowed_inviters: [\"*:example.org\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Rooms.AllowedInviters, ","); got != "*:example.org" {
		t.Errorf("allowed_inviters = %q after an empty variable", got)
	}
	if cfg.Matrix.Password != "hunter2-secret" || cfg.Bot.Prefix != "!" || cfg.Bot.RateLimit != 5 || !cfg.Encryption.Enabled {
		t.Errorf("an empty variable changed a key: %+v %+v", cfg.Bot, cfg.Encryption.Enabled)
	}
	if !cfg.Rooms.InviterAllowed("@a:example.org") || cfg.Rooms.InviterAllowed("@a:elsewhere.org") {
		t.Error("allowed_inviters does not match")
	}
}

// Passwords with the characters that break a URL, and the URIs an operator
// would write with them unencoded.
var badPostgres = []struct{ password, uri string }{
	{"pa%zzword-secret", "postgres://guidebot:pa%zzword-secret@db.example.org/guidebot"},
	{"pa#word-secret", "postgres://guidebot:pa#word-secret@db.example.org/guidebot"},
	{"pa/word-secret", "postgres://guidebot:pa/word-secret@db.example.org/guidebot"},
	{"12/word-secret", "postgres://guidebot:12/word-secret@db.example.org/guidebot"},
	{"pa?word-secret", "postgresql://guidebot:pa?word-secret@db.example.org/guidebot"},
	{"pa word-secret", "postgres://guidebot:pa word-secret@db.example.org/guidebot"},
	{"pa@word-secret", "host=db user=guidebot password='pa@word-secret"},
	{"pa@word-secret", "pa@word-secret"},
}

func TestPostgresURIProblemHidesTheValue(t *testing.T) {
	for _, tc := range badPostgres {
		cfg := DefaultConfig()
		cfg.Matrix = MatrixConfig{Homeserver: "https://m.example.org", UserID: "@b:example.org", Password: "x", DeviceName: "d"}
		cfg.Encryption.PickleKey = goodPickle
		cfg.Database = DatabaseConfig{Type: "postgres", URI: tc.uri}
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "database.uri:") {
			t.Errorf("%s: accepted (%v)", tc.uri, err)
			continue
		}
		if leaks(err.Error(), tc.password) {
			t.Errorf("the problem shows the password: %v", err)
		}
		if d := cfg.Database.Describe(); leaks(d, tc.password) {
			t.Errorf("Describe shows the password: %s", d)
		}
		werr := cfg.Database.WrapError(fmt.Errorf("pq: cannot parse %q: invalid", tc.uri))
		if leaks(werr.Error(), tc.password) {
			t.Errorf("WrapError shows the password: %s", werr)
		}
	}
}

// leaks reports whether s holds the secret or a telling part of it.
func leaks(s, secret string) bool {
	if strings.Contains(s, secret) {
		return true
	}
	// "%zz" and the like are what net/url quotes from a password
	for _, part := range strings.FieldsFunc(secret, func(r rune) bool { return strings.ContainsRune("%#/?@ ", r) }) {
		if len(part) >= 4 && strings.Contains(s, part) {
			return true
		}
	}
	return false
}

func TestPostgresURIWellFormed(t *testing.T) {
	for _, uri := range []string{
		"postgres://guidebot:pa%25%23%2F%40word@db.example.org/guidebot?sslmode=require",
		"postgres://guidebot:pa@word@db.example.org/guidebot", // net/url splits at the last @
		"postgresql:///guidebot?host=/var/run/postgresql",
		"host=db.example.org user=guidebot password='it\\'s a \\\\ secret' dbname=guidebot",
	} {
		if msg := checkPostgresURI(uri); msg != "" {
			t.Errorf("%s: %s", uri, msg)
		}
	}
}

func TestRedactedURIAndWrapError(t *testing.T) {
	for _, tc := range []struct{ uri, password, want string }{
		{"postgres://guidebot:pa%25%23%2F%40word@db.example.org/guidebot?sslmode=require", "pa%#/@word",
			"postgres://guidebot:xxxxx@db.example.org/guidebot?sslmode=require"},
		{"postgres://guidebot@db.example.org/guidebot?password=s3cret-word", "s3cret-word",
			"postgres://guidebot@db.example.org/guidebot?password=xxxxx"},
		{"host=db user=guidebot password='s3cret word'", "s3cret word", "host=db user=guidebot password=xxxxx"},
		{"postgres://guidebot:pa#word@db/guidebot", "pa#word", "(the URI does not parse; not shown)"},
	} {
		d := DatabaseConfig{Type: "postgres", URI: tc.uri}
		if got := d.RedactedURI(); got != tc.want {
			t.Errorf("RedactedURI(%s) = %s, want %s", tc.uri, got, tc.want)
		}
		enc := strings.NewReplacer("%", "%25", "#", "%23", "/", "%2F", "@", "%40").Replace(tc.password)
		inner := fmt.Errorf("dial %s failed for %s (%s): %w", tc.uri, tc.password, enc, os.ErrDeadlineExceeded)
		err := d.WrapError(inner)
		for _, s := range []string{tc.uri, tc.password} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("WrapError keeps %q: %s", s, err)
			}
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Error("WrapError hides the error from errors.Is")
		}
		var de *DatabaseError
		if !errors.As(err, &de) || errors.Unwrap(err) != nil {
			t.Error("WrapError does not return a *DatabaseError, or lets Unwrap reach the original")
		}
	}
	if d := (DatabaseConfig{Type: "sqlite3", URI: "/data/guidebot.db"}); d.Describe() != "sqlite3 database /data/guidebot.db" || d.WrapError(nil) != nil {
		t.Errorf("sqlite3 Describe = %s", d.Describe())
	}
}

func TestHomeserverWithUserinfoRefused(t *testing.T) {
	clearEnv(t)
	for _, hs := range []string{"https://bot:hs-s3cret@matrix.example.org", "https://hs-s3cret@matrix.example.org"} {
		_, err := LoadConfig(writeConfig(t, strings.Replace(validConfig, "https://matrix.example.org", hs, 1)))
		if err == nil || !strings.Contains(err.Error(), "matrix.homeserver: must not hold a user name or password") {
			t.Errorf("%s: %v", hs, err)
		} else if strings.Contains(err.Error(), "hs-s3cret") {
			t.Errorf("the problem shows the secret: %v", err)
		}
	}
}

func TestShortPickleKeyRefused(t *testing.T) {
	clearEnv(t)
	t.Setenv("GUIDEBOT_ENCRYPTION_PICKLE_KEY", goodPickle[:31])
	_, err := LoadConfig(writeConfig(t, validConfig))
	if err == nil || !strings.Contains(err.Error(), "$GUIDEBOT_ENCRYPTION_PICKLE_KEY: encryption.pickle_key: must be at least 32 characters") {
		t.Errorf("a 31-character pickle key: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), goodPickle[:31]) {
		t.Errorf("the problem shows the key: %v", err)
	}
	t.Setenv("GUIDEBOT_ENCRYPTION_PICKLE_KEY", goodPickle)
	if _, err := LoadConfig(writeConfig(t, validConfig)); err != nil {
		t.Errorf("a 32-character pickle key: %v", err)
	}
	// Not used, so not checked, when encryption is off.
	t.Setenv("GUIDEBOT_ENCRYPTION_PICKLE_KEY", "short")
	t.Setenv("GUIDEBOT_ENCRYPTION_ENABLED", "false")
	if _, err := LoadConfig(writeConfig(t, validConfig)); err != nil {
		t.Errorf("encryption off: %v", err)
	}
}

func TestEmptyKeyIsAProblemNotAPanic(t *testing.T) {
	clearEnv(t)
	for _, text := range []string{`"": x`, "!0 : 0", "matrix:\n  \"\": x\n", validConfig + "bot: {\"\": 1, ? [a]: b}\n"} {
		p := writeConfig(t, text)
		_, err := LoadConfig(p)
		if err == nil || !strings.Contains(err.Error(), `unknown field ""`) {
			t.Errorf("%q: %v", text, err)
		}
	}
}

func TestSyntaxErrorDoesNotQuoteTheFile(t *testing.T) {
	clearEnv(t)
	// An unquoted password starting with * reads as an alias; yaml.v3 quotes
	// the anchor's name in its error.
	_, err := LoadConfig(writeConfig(t, strings.Replace(validConfig, "hunter2-secret", "*hunter2-secret", 1)))
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "unknown anchor") {
		t.Errorf("error = %v", err)
	}
}

func TestFileWarnings(t *testing.T) {
	p := writeConfig(t, validConfig)
	if ws := FileWarnings(p); len(ws) != 0 {
		t.Errorf("0600: %q", ws)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	ws := FileWarnings(p)
	if len(ws) != 1 || !strings.HasPrefix(ws[0], p+": warning: mode 0640") || !strings.Contains(ws[0], "chmod 600") {
		t.Errorf("0640: %q", ws)
	}
	if FileWarnings("") != nil || FileWarnings(p+".missing") != nil {
		t.Error("warnings for no file")
	}
}

func TestBotLimitsAndSourceURL(t *testing.T) {
	clearEnv(t)
	cfg, err := LoadConfig(writeConfig(t, validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Bot; b.RateLimit != 5 || b.RateLimitWindow != Duration(10*time.Second) || b.SourceURL != "" || b.MaxPendingPerRoom != 50 {
		t.Errorf("defaults: %+v", b)
	}

	t.Setenv("GUIDEBOT_BOT_RATE_LIMIT", "0")
	t.Setenv("GUIDEBOT_BOT_RATE_LIMIT_WINDOW", "1m")
	t.Setenv("GUIDEBOT_BOT_SOURCE_URL", "https://git.example.org/guidebot")
	t.Setenv("GUIDEBOT_BOT_MAX_PENDING_PER_ROOM", "7")
	cfg, err = LoadConfig(writeConfig(t, validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Bot; b.RateLimit != 0 || b.RateLimitWindow != Duration(time.Minute) || b.SourceURL != "https://git.example.org/guidebot" || b.MaxPendingPerRoom != 7 {
		t.Errorf("from the environment: %+v", b)
	}

	clearEnv(t)
	p := writeConfig(t, validConfig+"bot:\n  rate_limit: -1\n  rate_limit_window: soon\n  source_url: git.example.org\n  max_pending_per_room: 0\n")
	_, err = LoadConfig(p)
	for _, want := range []string{
		p + ":9:15: bot.rate_limit: must not be negative",
		p + ":10:22: bot.rate_limit_window: expected a duration",
		p + ":11:15: bot.source_url: must be an http(s) URL",
		p + ":12:25: bot.max_pending_per_room: must be at least 1",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q; got:\n%v", want, err)
		}
	}
	_, err = LoadConfig(writeConfig(t, validConfig+"bot:\n  rate_limit_window: 0s\n"))
	if err == nil || !strings.Contains(err.Error(), "bot.rate_limit_window: must be a positive duration") {
		t.Errorf("a zero window: %v", err)
	}
}

func TestUserIDsWithoutMautrix(t *testing.T) {
	for s, want := range map[string]bool{
		"@guidebot:example.org": true, "@a:example.org:8448": true,
		"guidebot": false, "@:example.org": false, "@a:": false, "@a": false, "@a b:example.org": false,
	} {
		if got := validUserID(s); got != want {
			t.Errorf("validUserID(%q) = %v", s, got)
		}
	}
}
