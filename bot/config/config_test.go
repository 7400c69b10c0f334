package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// clearEnv keeps the developer's GUIDEBOT_* variables out of the tests.
func clearEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "GUIDEBOT_") && k != "GUIDEBOT_INTEGRATION" && k != "GUIDEBOT_DENDRITE_BIN" && k != "GUIDEBOT_TEST_LOG" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

const validConfig = `
matrix:
  homeserver: https://matrix.example.org
  user_id: "@guidebot:example.org"
  password: hunter2-secret
encryption:
  pickle_key: pickle-secret-0123456789abcdef-0123456789
`

func TestExampleConfigIsValidOnceSecretsAreSet(t *testing.T) {
	clearEnv(t)
	t.Setenv("GUIDEBOT_MATRIX_PASSWORD", "pw")
	t.Setenv("GUIDEBOT_ENCRYPTION_PICKLE_KEY", strings.Repeat("pk", 16))
	cfg, err := LoadConfig("../../config.example.yaml")
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if cfg.Bot.Prefix != "!" || cfg.Bot.SettingsPowerLevel != 50 || !cfg.Encryption.Enabled {
		t.Errorf("example config = %+v", cfg.Bot)
	}
}

func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if probs := cfg.decode(data); len(probs) > 0 {
		t.Fatal(probs)
	}
	// keys left empty in the example (password:) count as documented
	var keys map[string]map[string]any
	if err := yaml.Unmarshal(data, &keys); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	cfg.applyEnv(func(k string) (string, bool) { env[k] = ""; return "", false })
	for k := range env {
		key := strings.ToLower(strings.TrimPrefix(k, "GUIDEBOT_"))
		section, name, _ := strings.Cut(key, "_")
		// the section names have no underscore, so the first one splits
		if _, ok := keys[section][name]; !ok {
			t.Errorf("config.example.yaml lacks %s.%s", section, name)
		}
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	clearEnv(t)
	cfg, err := LoadConfig(writeConfig(t, validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.Type != "sqlite3" || cfg.Database.URI != "guidebot.db" || cfg.Matrix.DeviceName != "guidebot" ||
		cfg.Bot.DefaultLanguage != "en" || !cfg.Rooms.AutoJoin || cfg.Logging.Format != "pretty" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestLoadConfigUnknownKeyNamesKeyAndLine(t *testing.T) {
	clearEnv(t)
	p := writeConfig(t, validConfig+"bot:\n  prefx: \"?\"\n")
	_, err := LoadConfig(p)
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	want := p + `:9:3: bot: unknown field "prefx" (did you mean "prefix"?)`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
}

func TestLoadConfigProblems(t *testing.T) {
	clearEnv(t)
	p := writeConfig(t, `
matrix:
  homeserver: matrix.example.org
  user_id: guidebot
  password: hunter2-secret
database:
  type: mysql
encryption:
  enabled: true
bot:
  prefix: "abc"
  default_language: de
  settings_power_level: lots
  admins: ["@ok:example.org", "nope"]
rooms:
  allowed_inviters: ["*:example.org", "@x:example.org", "bad"]
announcements:
  schedule: "every day"
  timezone: Mars/Olympus
http:
  listen: "9108"
logging:
  level: loud
  format: xml
`)
	_, err := LoadConfig(p)
	var probs Problems
	if !errors.As(err, &probs) {
		t.Fatalf("error %v is not Problems", err)
	}
	text := err.Error()
	for _, want := range []string{
		p + ":3:15: matrix.homeserver: must be an http(s) URL",
		p + ":4:12: matrix.user_id: must be a Matrix user ID",
		p + ":7:9: database.type: must be sqlite3 or postgres",
		"encryption.pickle_key: required when encryption.enabled is true",
		p + ":11:11: bot.prefix:",
		p + ":12:21: bot.default_language:",
		p + ":13:25: bot.settings_power_level: expected a whole number",
		`bot.admins: "nope" is not a Matrix user ID`,
		`rooms.allowed_inviters: "bad" must be @user:server, *:server or *`,
		"announcements.schedule: not a cron expression",
		"announcements.timezone:",
		"http.listen: must be host:port",
		"logging.level:",
		"logging.format:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q; got:\n%s", want, text)
		}
	}
	if strings.Contains(text, "hunter2") {
		t.Error("an error message contains the password")
	}
}

func TestLoadConfigMissingKeys(t *testing.T) {
	clearEnv(t)
	_, err := LoadConfig(writeConfig(t, "logging:\n  level: debug\n"))
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, want := range []string{"matrix.homeserver: required", "matrix.user_id: required",
		"matrix.password: either matrix.password or matrix.access_token is required", "encryption.pickle_key: required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q; got:\n%v", want, err)
		}
	}
}

func TestLoadConfigEnvOverrides(t *testing.T) {
	clearEnv(t)
	t.Setenv("GUIDEBOT_MATRIX_PASSWORD", "from-env-secret")
	t.Setenv("GUIDEBOT_BOT_ADMINS", "@a:example.org, @b:example.org,")
	t.Setenv("GUIDEBOT_BOT_SETTINGS_POWER_LEVEL", "75")
	t.Setenv("GUIDEBOT_ROOMS_AUTO_JOIN", "false")
	t.Setenv("GUIDEBOT_DATABASE_URI", "/data/guidebot.db")
	cfg, err := LoadConfig(writeConfig(t, validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Matrix.Password != "from-env-secret" || cfg.Bot.SettingsPowerLevel != 75 || cfg.Rooms.AutoJoin ||
		cfg.Database.URI != "/data/guidebot.db" || strings.Join(cfg.Bot.Admins, " ") != "@a:example.org @b:example.org" {
		t.Errorf("env overrides not applied: %+v", cfg)
	}

	t.Setenv("GUIDEBOT_BOT_SETTINGS_POWER_LEVEL", "high")
	t.Setenv("GUIDEBOT_MATRIX_HOMESERVER", "ftp://x")
	_, err = LoadConfig(writeConfig(t, validConfig))
	if err == nil || !strings.Contains(err.Error(), "$GUIDEBOT_BOT_SETTINGS_POWER_LEVEL: bot.settings_power_level: expected a whole number") ||
		!strings.Contains(err.Error(), "$GUIDEBOT_MATRIX_HOMESERVER: matrix.homeserver: must be an http(s) URL") {
		t.Errorf("env problems not located: %v", err)
	}
}

func TestLoadConfigEnvOnly(t *testing.T) {
	clearEnv(t)
	t.Setenv("GUIDEBOT_MATRIX_HOMESERVER", "http://127.0.0.1:8008")
	t.Setenv("GUIDEBOT_MATRIX_USER_ID", "@bot:localhost")
	t.Setenv("GUIDEBOT_MATRIX_ACCESS_TOKEN", "syt_secret")
	t.Setenv("GUIDEBOT_ENCRYPTION_ENABLED", "false")
	if _, err := LoadConfig(""); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigTypeErrorsDoNotLeakSecrets(t *testing.T) {
	clearEnv(t)
	_, err := LoadConfig(writeConfig(t, `
matrix:
  homeserver: https://m.example.org
  user_id: "@b:example.org"
  password: [hunter2-secret]
encryption:
  pickle_key: {k: pickle-secret}
`))
	if err == nil {
		t.Fatal("lists accepted as secrets")
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "pickle-secret") {
		t.Errorf("error leaks a secret: %v", err)
	}
	if !strings.Contains(err.Error(), "matrix.password: expected a single value, found a list") {
		t.Errorf("error = %v", err)
	}
}

func TestInviterAllowed(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		user     string
		want     bool
	}{
		{nil, "@anyone:anywhere", false},
		{[]string{}, "@anyone:anywhere", false},
		{[]string{"*"}, "@anyone:anywhere", true},
		{[]string{"*"}, "not a user", false},
		{[]string{"@alice:example.org"}, "@alice:example.org", true},
		{[]string{"@alice:example.org"}, "@bob:example.org", false},
		{[]string{"*:example.org"}, "@bob:example.org", true},
		{[]string{"*:example.org"}, "@bob:evil.example.org", false},
		{[]string{"*:example.org"}, "@bob:example.org.evil", false},
		{[]string{"*:example.org"}, "@bob:example.org:8448", false},
	} {
		r := RoomsConfig{AllowedInviters: tc.patterns}
		if got := r.InviterAllowed(tc.user); got != tc.want {
			t.Errorf("InviterAllowed(%v, %s) = %v, want %v", tc.patterns, tc.user, got, tc.want)
		}
	}
}

func TestLoadConfigSyntaxError(t *testing.T) {
	clearEnv(t)
	p := writeConfig(t, "matrix:\n  homeserver: x\n user_id: y\n")
	_, err := LoadConfig(p)
	// only the syntax error: the rest would be noise
	if err == nil || !strings.HasPrefix(err.Error(), p+":2:1: invalid YAML: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error = %v, want one line starting with %s:2:1: invalid YAML: ", err, p)
	}
}
