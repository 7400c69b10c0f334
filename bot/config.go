package bot

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// Config is the operator's configuration (see config.example.yaml). The yaml tags are the
// only keys accepted; every key can also be set by GUIDEBOT_<SECTION>_<KEY>.
// Fields tagged secret:"true" are never echoed in errors or logs.
type Config struct {
	Matrix        MatrixConfig        `yaml:"matrix"`
	Database      DatabaseConfig      `yaml:"database"`
	Encryption    EncryptionConfig    `yaml:"encryption"`
	Bot           BotConfig           `yaml:"bot"`
	Rooms         RoomsConfig         `yaml:"rooms"`
	Content       ContentConfig       `yaml:"content"`
	Announcements AnnouncementsConfig `yaml:"announcements"`
	HTTP          HTTPConfig          `yaml:"http"`
	Logging       LoggingConfig       `yaml:"logging"`

	// where each key was set, so validation can point at the line
	file string
	pos  map[string]Problem
}

type MatrixConfig struct {
	Homeserver  string `yaml:"homeserver"`
	UserID      string `yaml:"user_id"`
	Password    string `yaml:"password" secret:"true"`
	AccessToken string `yaml:"access_token" secret:"true"`
	DeviceID    string `yaml:"device_id"`
	DeviceName  string `yaml:"device_name"`
}

type DatabaseConfig struct {
	Type string `yaml:"type"`
	URI  string `yaml:"uri" secret:"true"` // a postgres URI may embed a password
}

type EncryptionConfig struct {
	Enabled   bool   `yaml:"enabled"`
	PickleKey string `yaml:"pickle_key" secret:"true"`
}

type BotConfig struct {
	Prefix             string   `yaml:"prefix"`
	DefaultLanguage    string   `yaml:"default_language"`
	Admins             []string `yaml:"admins"`
	SettingsPowerLevel int      `yaml:"settings_power_level"`
}

type RoomsConfig struct {
	AutoJoin        bool     `yaml:"auto_join"`
	AllowedInviters []string `yaml:"allowed_inviters"`
}

type ContentConfig struct {
	Dir string `yaml:"dir"`
}

type AnnouncementsConfig struct {
	Schedule string `yaml:"schedule"`
	Timezone string `yaml:"timezone"`
}

type HTTPConfig struct {
	Listen string `yaml:"listen"`
}

type LoggingConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// DefaultConfig returns the configuration used for every key the file and
// the environment leave out.
func DefaultConfig() *Config {
	return &Config{
		Matrix:        MatrixConfig{DeviceName: "guidebot"},
		Database:      DatabaseConfig{Type: "sqlite3", URI: "guidebot.db"},
		Encryption:    EncryptionConfig{Enabled: true},
		Bot:           BotConfig{Prefix: "!", DefaultLanguage: "en", SettingsPowerLevel: 50},
		Rooms:         RoomsConfig{AutoJoin: true},
		Announcements: AnnouncementsConfig{Schedule: "0 9 * * *", Timezone: "UTC"},
		Logging:       LoggingConfig{Level: "info", Format: "pretty"},
	}
}

// Problem is one thing wrong with a configuration, located as precisely as
// possible: a file position, or the environment variable that set it.
type Problem struct {
	File    string // config file, or "" when the key came from defaults
	Line    int
	Col     int
	Env     string // the environment variable that set the key, if any
	Key     string // dotted key, e.g. matrix.homeserver
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Env != "":
		b.WriteString("$" + p.Env + ": ")
	case p.File != "" && p.Line > 0 && p.Col > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", p.File, p.Line, p.Col)
	case p.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.File != "":
		b.WriteString(p.File + ": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a configuration; it is the error
// LoadConfig and Validate return.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// LoadConfig reads path (if not empty) over the defaults, applies the
// GUIDEBOT_* environment variables and validates the result. On error the
// returned config is still filled in as far as possible, and the error is
// Problems listing everything wrong, not just the first.
func LoadConfig(path string) (*Config, error) {
	cfg := DefaultConfig()
	cfg.file = path
	cfg.pos = map[string]Problem{}
	var probs Problems
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("reading config: %w", err)
		}
		probs = append(probs, cfg.decode(data)...)
		if len(probs) == 1 && probs[0].Key == "" {
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

func (c *Config) decode(data []byte) Problems {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 syntax errors read "yaml: line N: message"; move the
		// line into the position so the output stays file:line: message.
		p := Problem{File: c.file, Message: strings.TrimPrefix(err.Error(), "yaml: ")}
		if rest, ok := strings.CutPrefix(p.Message, "line "); ok {
			if n, msg, ok := strings.Cut(rest, ": "); ok {
				if line, err := strconv.Atoi(n); err == nil {
					p.Line, p.Message = line, msg
				}
			}
		}
		return Problems{p}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file: defaults only
	}
	var probs Problems
	c.decodeNode(doc.Content[0], reflect.ValueOf(c).Elem(), "", &probs)
	return probs
}

func (c *Config) at(n *yaml.Node, key, msg string) Problem {
	return Problem{File: c.file, Line: n.Line, Col: n.Column, Key: key, Message: msg}
}

// decodeNode walks the YAML tree beside the struct so that unknown keys and
// type errors name the dotted key and its position, and never quote a value.
func (c *Config) decodeNode(n *yaml.Node, v reflect.Value, key string, probs *Problems) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with no value keeps the default
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			*probs = append(*probs, c.at(n, key, "expected a mapping of keys"))
			return
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			full := kn.Value
			if key != "" {
				full = key + "." + kn.Value
			}
			f, ok := fieldByTag(v, kn.Value)
			if !ok {
				*probs = append(*probs, c.at(kn, full, "unknown key"))
				continue
			}
			if seen[kn.Value] {
				*probs = append(*probs, c.at(kn, full, "duplicate key"))
				continue
			}
			seen[kn.Value] = true
			c.pos[full] = c.at(vn, full, "")
			c.decodeNode(vn, f, full, probs)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			*probs = append(*probs, c.at(n, key, "expected a string"))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			*probs = append(*probs, c.at(n, key, "expected an integer"))
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			*probs = append(*probs, c.at(n, key, "expected true or false"))
			return
		}
		v.SetBool(b)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			*probs = append(*probs, c.at(n, key, "expected a list of strings"))
			return
		}
		list := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				*probs = append(*probs, c.at(item, key, "expected a list of strings"))
				continue
			}
			list = append(list, item.Value)
		}
		v.Set(reflect.ValueOf(list))
	}
}

func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "" || tag == "-" || !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	return name
}

// applyEnv sets every key that has a GUIDEBOT_<SECTION>_<KEY> variable.
// Lists are comma-separated.
func (c *Config) applyEnv(lookup func(string) (string, bool)) Problems {
	var probs Problems
	root := reflect.ValueOf(c).Elem()
	for i := range root.NumField() {
		section := yamlName(root.Type().Field(i))
		if section == "" {
			continue
		}
		sv := root.Field(i)
		for j := range sv.NumField() {
			key := yamlName(sv.Type().Field(j))
			env := "GUIDEBOT_" + strings.ToUpper(section+"_"+key)
			raw, ok := lookup(env)
			if !ok {
				continue
			}
			full := section + "." + key
			p := Problem{Env: env, Key: full}
			c.pos[full] = p
			f := sv.Field(j)
			switch f.Kind() {
			case reflect.String:
				f.SetString(raw)
			case reflect.Int:
				n, err := strconv.Atoi(strings.TrimSpace(raw))
				if err != nil {
					p.Message = "expected an integer"
					probs = append(probs, p)
					continue
				}
				f.SetInt(int64(n))
			case reflect.Bool:
				b, err := strconv.ParseBool(strings.TrimSpace(raw))
				if err != nil {
					p.Message = "expected true or false"
					probs = append(probs, p)
					continue
				}
				f.SetBool(b)
			case reflect.Slice:
				list := []string{}
				for item := range strings.SplitSeq(raw, ",") {
					if item = strings.TrimSpace(item); item != "" {
						list = append(list, item)
					}
				}
				f.Set(reflect.ValueOf(list))
			}
		}
	}
	return probs
}

// problem locates msg at the place key was set (file line, env variable, or
// nowhere when it is a default).
func (c *Config) problem(key, msg string) Problem {
	p, ok := c.pos[key]
	if !ok {
		p = Problem{File: c.file, Key: key}
	}
	p.Message = msg
	return p
}

// Validate checks every key and returns Problems with all that is wrong.
func (c *Config) Validate() error {
	var probs Problems
	bad := func(key, msg string) { probs = append(probs, c.problem(key, msg)) }

	m := c.Matrix
	if m.Homeserver == "" {
		bad("matrix.homeserver", "required")
	} else if u, err := url.Parse(m.Homeserver); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("matrix.homeserver", "must be an http(s) URL")
	}
	if m.UserID == "" {
		bad("matrix.user_id", "required")
	} else if _, _, err := id.UserID(m.UserID).Parse(); err != nil {
		bad("matrix.user_id", "must be a Matrix user ID like @guidebot:example.org")
	}
	if m.Password == "" && m.AccessToken == "" {
		bad("matrix.password", "either matrix.password or matrix.access_token is required")
	}
	if m.DeviceName == "" {
		bad("matrix.device_name", "must not be empty")
	}

	switch c.Database.Type {
	case "sqlite3", "postgres":
	default:
		bad("database.type", fmt.Sprintf("must be sqlite3 or postgres, not %q", c.Database.Type))
	}
	if c.Database.URI == "" {
		bad("database.uri", "required")
	}

	if c.Encryption.Enabled && c.Encryption.PickleKey == "" {
		bad("encryption.pickle_key", "required when encryption.enabled is true")
	}

	if !commands.ValidPrefix(c.Bot.Prefix) {
		bad("bot.prefix", "must be 1 to 3 characters that are not letters, digits or spaces")
	}
	if _, ok := content.ParseLang(c.Bot.DefaultLanguage); !ok {
		bad("bot.default_language", fmt.Sprintf("must be en or fr, not %q", c.Bot.DefaultLanguage))
	}
	for _, a := range c.Bot.Admins {
		if _, _, err := id.UserID(a).Parse(); err != nil {
			bad("bot.admins", fmt.Sprintf("%q is not a Matrix user ID", a))
		}
	}
	if c.Bot.SettingsPowerLevel < 0 {
		bad("bot.settings_power_level", "must not be negative")
	}

	for _, inv := range c.Rooms.AllowedInviters {
		if !validInviterPattern(inv) {
			bad("rooms.allowed_inviters", fmt.Sprintf("%q must be @user:server or *:server", inv))
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

func validInviterPattern(p string) bool {
	if server, ok := strings.CutPrefix(p, "*:"); ok {
		return server != "" && !strings.ContainsAny(server, " *")
	}
	_, _, err := id.UserID(p).Parse()
	return err == nil && !strings.Contains(p, "*")
}

// inviterAllowed reports whether user matches one of the allowed_inviters
// patterns; an empty list allows everyone.
func inviterAllowed(patterns []string, user id.UserID) bool {
	if len(patterns) == 0 {
		return true
	}
	server := user.Homeserver()
	for _, p := range patterns {
		if id.UserID(p) == user {
			return true
		}
		if s, ok := strings.CutPrefix(p, "*:"); ok && s == server {
			return true
		}
	}
	return false
}
