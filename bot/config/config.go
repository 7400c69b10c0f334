// Package config is guidebot's operator configuration: the types, their
// defaults, the GUIDEBOT_* environment overrides and validation. It does not
// import the Matrix runtime, so `guidebot check` stays small; the runtime in
// package bot takes a *Config.
package config

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/guidebot/guidebot/content/yamlfile"
)

// Config is the operator's configuration. The yaml tags are the only keys
// accepted; every key can also be set by GUIDEBOT_<SECTION>_<KEY>.
// Fields tagged secret:"true" are never echoed in errors or logs.
type Config struct {
	Matrix        MatrixConfig        `yaml:"matrix,omitempty"`
	Database      DatabaseConfig      `yaml:"database,omitempty"`
	Encryption    EncryptionConfig    `yaml:"encryption,omitempty"`
	Bot           BotConfig           `yaml:"bot,omitempty"`
	Rooms         RoomsConfig         `yaml:"rooms,omitempty"`
	Content       ContentConfig       `yaml:"content,omitempty"`
	Announcements AnnouncementsConfig `yaml:"announcements,omitempty"`
	HTTP          HTTPConfig          `yaml:"http,omitempty"`
	Logging       LoggingConfig       `yaml:"logging,omitempty"`

	// where each key was set, so validation can point at it
	file string
	doc  *yamlfile.Doc     // the file's positions; nil without a file
	env  map[string]string // key → the environment variable that set it
}

// MatrixConfig is the bot's account on its homeserver.
type MatrixConfig struct {
	Homeserver  string `yaml:"homeserver,omitempty"`
	UserID      string `yaml:"user_id,omitempty"`
	Password    string `yaml:"password,omitempty" secret:"true"`
	AccessToken string `yaml:"access_token,omitempty" secret:"true"`
	DeviceID    string `yaml:"device_id,omitempty"`
	DeviceName  string `yaml:"device_name,omitempty"`
}

// DatabaseConfig is where the bot keeps its state. Never print URI: use
// Describe or RedactedURI, and wrap errors with WrapError.
type DatabaseConfig struct {
	Type string `yaml:"type,omitempty"`
	URI  string `yaml:"uri,omitempty" secret:"true"` // a postgres URI may embed a password
}

// EncryptionConfig turns end-to-end encryption on and holds the key that
// encrypts the stored Olm and Megolm state.
type EncryptionConfig struct {
	Enabled   bool   `yaml:"enabled,omitempty"`
	PickleKey string `yaml:"pickle_key,omitempty" secret:"true"`
}

// BotConfig is how the bot answers.
type BotConfig struct {
	Prefix             string   `yaml:"prefix,omitempty"`
	DefaultLanguage    string   `yaml:"default_language,omitempty"`
	Admins             []string `yaml:"admins,omitempty"`
	SettingsPowerLevel int      `yaml:"settings_power_level,omitempty"`
	// RateLimit is how many commands one user may send per RateLimitWindow;
	// 0 turns the limit off.
	RateLimit       int      `yaml:"rate_limit,omitempty"`
	RateLimitWindow Duration `yaml:"rate_limit_window,omitempty"`
	// SourceURL is where the bot's source code is, shown by !about; empty:
	// not shown.
	SourceURL string `yaml:"source_url,omitempty"`
	// MaxPendingPerRoom is how many answers may wait to be sent to one room.
	MaxPendingPerRoom int `yaml:"max_pending_per_room,omitempty"`
}

// RoomsConfig is which invites the bot accepts.
type RoomsConfig struct {
	AutoJoin bool `yaml:"auto_join,omitempty"`
	// AllowedInviters holds "@user:server", "*:server" or "*" (everyone).
	// An empty list accepts nobody.
	AllowedInviters []string `yaml:"allowed_inviters,omitempty"`
}

// ContentConfig is where the messenger data comes from.
type ContentConfig struct {
	Dir string `yaml:"dir,omitempty"`
}

// AnnouncementsConfig is when the bot looks for content changes.
type AnnouncementsConfig struct {
	Schedule string `yaml:"schedule,omitempty"`
	Timezone string `yaml:"timezone,omitempty"`
}

// HTTPConfig is the /metrics and /healthz listener.
type HTTPConfig struct {
	Listen string `yaml:"listen,omitempty"`
}

// LoggingConfig is the log level and format.
type LoggingConfig struct {
	Level  string `yaml:"level,omitempty"`
	Format string `yaml:"format,omitempty"`
}

// DefaultConfig returns the configuration used for every key the file and
// the environment leave out.
func DefaultConfig() *Config {
	return &Config{
		Matrix:     MatrixConfig{DeviceName: "guidebot"},
		Database:   DatabaseConfig{Type: "sqlite3", URI: "guidebot.db"},
		Encryption: EncryptionConfig{Enabled: true},
		Bot: BotConfig{Prefix: "!", DefaultLanguage: "en", SettingsPowerLevel: 50,
			RateLimit: 5, RateLimitWindow: Duration(10 * time.Second), MaxPendingPerRoom: 50},
		Rooms:         RoomsConfig{AutoJoin: true},
		Announcements: AnnouncementsConfig{Schedule: "0 9 * * *", Timezone: "UTC"},
		Logging:       LoggingConfig{Level: "info", Format: "pretty"},
	}
}

// LoadConfig reads path (if not empty) over the defaults, applies the
// GUIDEBOT_* environment variables and validates the result. On error the
// returned config is still filled in as far as possible, and the error is
// Problems listing everything wrong, not just the first.
func LoadConfig(path string) (*Config, error) {
	cfg := DefaultConfig()
	cfg.file = path
	var probs Problems
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("reading config: %w", err)
		}
		probs = append(probs, cfg.decode(data)...)
		if cfg.doc == nil {
			return cfg, probs // unreadable YAML: the rest would be noise
		}
	}
	probs = append(probs, cfg.applyEnv(os.LookupEnv)...)
	var vp Problems
	if err := cfg.Validate(); errors.As(err, &vp) {
		probs = append(probs, vp...)
	}
	if len(probs) > 0 {
		return cfg, probs
	}
	return cfg, nil
}
