package config

import (
	"strings"
	"testing"
)

// FuzzDecodeConfig feeds the decoder and validation arbitrary files: they
// must report problems, never panic, and never quote a secret's value.
func FuzzDecodeConfig(f *testing.F) {
	for _, seed := range []string{
		validConfig,
		`"": x`,
		"!0 : 0",
		"matrix:\n  \"\": x\n",
		"matrix: &a {homeserver: *a}\n",
		"bot:\n  admins: [*x]\n",
		"bot: {rate_limit_window: 10s, rate_limit: !!int 3}\n",
		"? [a, b]\n: c\n",
		"rooms: {allowed_inviters: [\"*\", {a: b}]}\n",
		"matrix:\n  password: *hunter2-fuzzsecret\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := DefaultConfig()
		c.file = "config.yaml"
		probs := c.decode([]byte(text))
		_ = c.Validate()
		_ = c.Warnings()
		if strings.Contains(probs.Error(), "fuzzsecret") && !strings.Contains(text, "fuzzsecret:") {
			t.Errorf("a problem quotes a value: %v", probs)
		}
	})
}
