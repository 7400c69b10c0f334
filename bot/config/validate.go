package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// MinPickleKeyLength is the shortest encryption.pickle_key accepted, in
// characters (`openssl rand -hex 32` makes 64).
const MinPickleKeyLength = 32

// Validate checks every key and returns Problems with all that is wrong.
// No message quotes the value of a secret.
func (c *Config) Validate() error {
	var probs Problems
	bad := func(key, msg string) { probs = append(probs, c.problem(key, msg)) }

	m := c.Matrix
	if m.Homeserver == "" {
		bad("matrix.homeserver", "required")
	} else if u, err := url.Parse(m.Homeserver); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("matrix.homeserver", "must be an http(s) URL")
	} else if u.User != nil {
		bad("matrix.homeserver", "must not hold a user name or password (user:pass@); the bot logs in with matrix.password or matrix.access_token")
	}
	if m.UserID == "" {
		bad("matrix.user_id", "required")
	} else if !validUserID(m.UserID) {
		bad("matrix.user_id", "must be a Matrix user ID like @guidebot:example.org")
	}
	if m.Password == "" && m.AccessToken == "" {
		bad("matrix.password", "either matrix.password or matrix.access_token is required")
	}
	if m.DeviceName == "" {
		bad("matrix.device_name", "must not be empty")
	}

	switch c.Database.Type {
	case "sqlite3":
		if c.Database.URI == "" {
			bad("database.uri", "required")
		}
	case "postgres":
		if c.Database.URI == "" {
			bad("database.uri", "required")
		} else if msg := checkPostgresURI(c.Database.URI); msg != "" {
			bad("database.uri", msg)
		}
	default:
		bad("database.type", fmt.Sprintf("must be sqlite3 or postgres, not %q", c.Database.Type))
	}

	if c.Encryption.Enabled {
		if c.Encryption.PickleKey == "" {
			bad("encryption.pickle_key", "required when encryption.enabled is true")
		} else if utf8.RuneCountInString(c.Encryption.PickleKey) < MinPickleKeyLength {
			bad("encryption.pickle_key", fmt.Sprintf("must be at least %d characters long (make one with: openssl rand -hex 32)", MinPickleKeyLength))
		}
	}

	b := c.Bot
	if !commands.ValidPrefix(b.Prefix) {
		bad("bot.prefix", "must be 1 to 3 characters that are not letters, digits or spaces")
	}
	if _, ok := content.ParseLang(b.DefaultLanguage); !ok {
		bad("bot.default_language", fmt.Sprintf("must be en or fr, not %q", b.DefaultLanguage))
	}
	for _, a := range b.Admins {
		if !validUserID(a) {
			bad("bot.admins", fmt.Sprintf("%q is not a Matrix user ID", a))
		}
	}
	if b.SettingsPowerLevel < 0 {
		bad("bot.settings_power_level", "must not be negative")
	}
	if b.RateLimit < 0 {
		bad("bot.rate_limit", "must not be negative (0 turns the limit off)")
	}
	if b.RateLimitWindow <= 0 {
		bad("bot.rate_limit_window", "must be a positive duration such as 10s")
	}
	if b.SourceURL != "" {
		if u, err := url.Parse(b.SourceURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("bot.source_url", "must be an http(s) URL, or empty")
		} else if u.User != nil {
			bad("bot.source_url", "must not hold a user name or password")
		}
	}
	if b.MaxPendingPerRoom < 1 {
		bad("bot.max_pending_per_room", "must be at least 1")
	}

	for _, inv := range c.Rooms.AllowedInviters {
		if !validInviterPattern(inv) {
			bad("rooms.allowed_inviters", fmt.Sprintf("%q must be @user:server, *:server or *", inv))
		}
	}

	if c.Content.Dir != "" {
		if st, err := os.Stat(c.Content.Dir); err != nil || !st.IsDir() {
			bad("content.dir", fmt.Sprintf("%q is not a directory", c.Content.Dir))
		}
	}

	if c.Announcements.Schedule != "" {
		if _, err := cron.ParseStandard(c.Announcements.Schedule); err != nil {
			bad("announcements.schedule", fmt.Sprintf("not a cron expression: %v", err))
		}
	}
	if _, err := time.LoadLocation(c.Announcements.Timezone); err != nil || c.Announcements.Timezone == "" {
		bad("announcements.timezone", fmt.Sprintf("unknown time zone %q", c.Announcements.Timezone))
	}

	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			bad("http.listen", "must be host:port, e.g. 127.0.0.1:9108")
		}
	}

	if _, err := zerolog.ParseLevel(c.Logging.Level); err != nil || c.Logging.Level == "" {
		bad("logging.level", fmt.Sprintf("must be one of trace, debug, info, warn, error, not %q", c.Logging.Level))
	}
	switch c.Logging.Format {
	case "pretty", "json":
	default:
		bad("logging.format", fmt.Sprintf("must be pretty or json, not %q", c.Logging.Format))
	}

	if len(probs) > 0 {
		return probs
	}
	return nil
}

// Warnings lists what is allowed but probably not meant, located like a
// Problem, e.g. an empty rooms.allowed_inviters. `check` prints them and
// run logs them; neither stops for them.
func (c *Config) Warnings() []string {
	var ws []string
	if c.Rooms.AutoJoin && len(c.Rooms.AllowedInviters) == 0 {
		p := c.at("rooms.allowed_inviters").Problemf(`warning: rooms.allowed_inviters is empty: nobody can invite the bot; use "*" to allow everyone`)
		ws = append(ws, p.String())
	}
	return ws
}

// splitUserID splits @localpart:server at the first colon, as Matrix does.
func splitUserID(s string) (local, server string, ok bool) {
	rest, ok := strings.CutPrefix(s, "@")
	if !ok {
		return "", "", false
	}
	local, server, ok = strings.Cut(rest, ":")
	if !ok || local == "" || server == "" {
		return "", "", false
	}
	return local, server, true
}

// validUserID accepts @localpart:server with no spaces or control
// characters; the homeserver has the last word on the rest.
func validUserID(s string) bool {
	if _, _, ok := splitUserID(s); !ok || !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

func validInviterPattern(p string) bool {
	if p == "*" {
		return true
	}
	if server, ok := strings.CutPrefix(p, "*:"); ok {
		return server != "" && !strings.ContainsAny(server, " *")
	}
	return validUserID(p) && !strings.Contains(p, "*")
}

// InviterAllowed reports whether user may invite the bot: it is listed,
// its server is listed as "*:server", or the list holds "*". An empty list
// allows nobody.
func (r RoomsConfig) InviterAllowed(user string) bool {
	_, server, ok := splitUserID(user)
	if !ok {
		return false
	}
	for _, p := range r.AllowedInviters {
		if p == "*" || p == user {
			return true
		}
		if s, ok := strings.CutPrefix(p, "*:"); ok && s == server {
			return true
		}
	}
	return false
}
