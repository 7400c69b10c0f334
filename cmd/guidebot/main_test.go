package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/guidebot/guidebot/content"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAsk(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
		lacks    []string
	}{
		{"compare", []string{"ask", "!compare session briar"}, 0,
			[]string{"Session", "Briar", "Forward secrecy"}, nil},
		{"french card", []string{"ask", "--lang", "fr", "!messenger signal"}, 0,
			[]string{"Signal", "Confidentialité persistante"}, []string{"Forward secrecy"}},
		{"near miss", []string{"ask", "!messenger sigal"}, 1, []string{"sigal", "Signal"}, nil},
		{"no prefix, as in a DM", []string{"ask", "compare", "signal", "simplex"}, 0, []string{"Signal", "SimpleX Chat"}, nil},
		{"recommend", []string{"ask", "!recommend no-phone ios"}, 0,
			[]string{"SimpleX Chat", "Signal — needs a phone number", "Briar — no iOS app"}, nil},
		{"html escapes input", []string{"ask", "--html", "!messenger <b>x</b>"}, 1,
			[]string{"&lt;b&gt;x&lt;/b&gt;"}, []string{"<b>x</b>"}},
		{"unknown command", []string{"ask", "!frobnicate"}, 1, []string{"!help"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(out, s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
		})
	}
}

// The compare table: Session without forward secrecy, Briar with it.
func TestAskCompareForwardSecrecy(t *testing.T) {
	_, out, _ := runCLI(t, "", "ask", "!compare session briar")
	row := regexp.MustCompile(`(?m)^Forward secrecy\s+(\S+)\s+(\S+)\s*$`).FindStringSubmatch(out)
	if row == nil || row[1] != "no" || row[2] != "yes" {
		t.Errorf("forward secrecy row = %q, want Session no, Briar yes\n%s", row, out)
	}
}

func TestAskUsage(t *testing.T) {
	if code, _, errOut := runCLI(t, "", "ask"); code != 2 || !strings.Contains(errOut, "usage") {
		t.Errorf("ask with no command: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "ask", "--lang", "de", "help"); code != 2 || !strings.Contains(errOut, "--lang") {
		t.Errorf("ask --lang de: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "bogus"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}

func TestConsole(t *testing.T) {
	in := "help\n\nset language fr\nmessenger briar\n!compare signal briar\n"
	code, out, errOut := runCLI(t, in, "console")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// After "set language fr", answers are in French.
	i := strings.Index(out, "Briar")
	if i < 0 || !strings.Contains(out[i:], "Confidentialité persistante") {
		t.Errorf("console did not switch to French:\n%s", out)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "", "version")
	if code != 0 || !strings.Contains(out, content.Builtin().Version()) {
		t.Errorf("version: exit %d, %q lacks the content version", code, out)
	}
}

// copyContent copies the built-in content to a temporary directory.
func copyContent(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("..", "..", "content", "data")
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestCheckContent(t *testing.T) {
	dir := copyContent(t)
	if code, out, _ := runCLI(t, "", "check", "--content", dir); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("check of a good copy: exit %d\n%s", code, out)
	}

	// Break it: a bad date and an unknown field in Signal's file.
	path := filepath.Join(dir, "messengers", "signal.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "reviewed: 2026-12-02", "reviewed: 2026-13-45\ncolour: blue", 1)
	if broken == string(data) {
		t.Fatal("fixture: reviewed date not found in signal.yaml")
	}
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "", "check", "--content", dir)
	if code != 1 {
		t.Errorf("check of broken content: exit %d, want 1", code)
	}
	for _, want := range []string{`messengers/signal.yaml:\d+:\d+: .*reviewed`, `messengers/signal.yaml:\d+:1: .*colour`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output does not match %q:\n%s", want, out)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	cfg := "matrix:\n  homeserver: not a url\n  user_id: \"@guidebot:example.org\"\n  password: hunter2-secret\nbogus: 1\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "", "check", "-c", path)
	if code != 1 {
		t.Errorf("check of a bad config: exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"matrix.homeserver", "bogus"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2-secret") {
		t.Errorf("check printed the password:\n%s", out)
	}
}

// TestCheckNeverPrintsSecrets runs check on configs with a secret in every
// secret field, broken in various ways, and looks for the secrets in all it
// prints.
func TestCheckNeverPrintsSecrets(t *testing.T) {
	for _, k := range []string{"GUIDEBOT_MATRIX_PASSWORD", "GUIDEBOT_MATRIX_ACCESS_TOKEN", "GUIDEBOT_ENCRYPTION_PICKLE_KEY", "GUIDEBOT_DATABASE_URI", "GUIDEBOT_DATABASE_TYPE", "GUIDEBOT_MATRIX_HOMESERVER"} {
		t.Setenv(k, "")
	}
	secrets := []string{"pw-S3CRET", "tok-S3CRET", "pk-S3CRET", "db-S3CRET", "hs-S3CRET"}
	base := "matrix:\n  homeserver: https://bot:hs-S3CRET@matrix.example.org\n  user_id: \"@b:example.org\"\n" +
		"  password: pw-S3CRET\n  access_token: tok-S3CRET\n" +
		"database:\n  type: postgres\n  uri: postgres://guidebot:db-S3CRET%zz#/@db.example.org/guidebot\n" +
		"encryption:\n  pickle_key: pk-S3CRET\n"
	for name, text := range map[string]string{
		"each broken":        base,
		"unknown key":        base + "bogus: pw-S3CRET\n",
		"secrets as lists":   strings.NewReplacer("pw-S3CRET", "[pw-S3CRET]", "tok-S3CRET", "{a: tok-S3CRET}", "pk-S3CRET", "[pk-S3CRET]").Replace(base),
		"alias":              strings.Replace(base, "pw-S3CRET", "*pw-S3CRET", 1),
		"bad int after":      base + "bot:\n  settings_power_level: pk-S3CRET\n",
		"unterminated quote": strings.Replace(base, "pw-S3CRET", "\"pw-S3CRET", 1),
		"tab indent":         strings.Replace(base, "  password", "\tpassword", 1),
		"empty key":          base + "\"\": tok-S3CRET\n",
		"duplicate":          base + "matrix:\n  password: pw-S3CRET\n",
		"key=value dsn":      strings.Replace(base, "postgres://guidebot:db-S3CRET%zz#/@db.example.org/guidebot", "\"host=db password='db-S3CRET\"", 1),
	} {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		// the test content, so that only the config is in question
		code, out, errOut := runCLI(t, "", "check", "-c", path, "--content", filepath.Join("..", "..", "content", "testdata", "valid"))
		if code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", name, code, out)
		}
		for _, s := range secrets {
			if strings.Contains(out+errOut, s) || strings.Contains(out+errOut, strings.TrimSuffix(s, "-S3CRET")+"-") {
				t.Errorf("%s: check printed %s:\n%s%s", name, s, out, errOut)
			}
		}
	}
}
