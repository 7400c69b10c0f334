package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// settingsTableMarkdown is the README's table of room settings, generated
// from the declarations.
func settingsTableMarkdown() string {
	var b strings.Builder
	b.WriteString("| key | in French | values | default |\n|---|---|---|---|\n")
	for _, d := range SettingDefs {
		var values []string
		if d.Values == nil {
			values = append(values, d.Allowed.EN)
		} else {
			for _, v := range d.Values {
				values = append(values, "`"+v.Value+"` ("+v.Desc.EN+")")
			}
		}
		vs := strings.Join(values, ", ")
		if len(d.Commands) > 0 {
			vs += "; also " + "`!" + strings.Join(d.Commands, "` / `!") + "`"
		}
		def := "`" + d.Default + "`"
		if d.Operator != "" {
			def = "`" + d.Operator + "` (else " + def + ")"
		}
		b.WriteString("| `" + d.Key + "` | `" + d.FR + "` | " + vs + " | " + def + " |\n")
	}
	return b.String()
}

// TestREADMESettingsTable: the README's settings table is the one the
// declarations give. go test -update rewrites it.
func TestREADMESettingsTable(t *testing.T) {
	path := filepath.Join("..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "| key |")
	if start < 0 {
		t.Fatal("README.md: no settings table (a line starting with \"| key |\")")
	}
	end := strings.Index(readme[start:], "\n\n")
	if end < 0 {
		t.Fatal("README.md: the settings table runs to the end of the file")
	}
	end += start + 1
	want := settingsTableMarkdown()
	if got := readme[start:end]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(readme[:start]+want+readme[end:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's settings table is not the declarations' (run go test -update):\n got:\n%s\nwant:\n%s", got, want)
	}
}
