package yamlfile

import "testing"

// safeScalar fails with a SafeMessage, which a secret decode still shows.
type safeScalar string

func (s *safeScalar) DecodeYAMLScalar(v string, _ Pos) error {
	if v != "ok" {
		return SafeMessage("expected ok")
	}
	*s = safeScalar(v)
	return nil
}

// With Options.Secret, no problem quotes a value, whatever the field.
func TestDecodeSecretOption(t *testing.T) {
	type file struct {
		Port int        `yaml:"port,omitempty"`
		When Date       `yaml:"when,omitempty"`
		Safe safeScalar `yaml:"safe,omitempty"`
	}
	tests := []struct{ name, in, want string }{
		{"int", "port: hunter2\n", `f.yaml:1:7: port: expected a whole number, found a value`},
		{"scalar error hidden", "when: hunter2\n", `f.yaml:1:7: when: not a valid value`},
		{"safe message shown", "safe: hunter2\n", `f.yaml:1:7: safe: expected ok`},
		{"empty allowed", "# only a comment\n", ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v file
			_, ps := Options{Secret: true, AllowEmpty: true}.DecodeDoc("f.yaml", []byte(tc.in), &v)
			if got := ps.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
