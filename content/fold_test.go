package content

import "testing"

// TestFoldFastPaths: the ASCII and Latin table paths agree with the full
// Unicode folding on every rune they know, alone and among other text.
func TestFoldFastPaths(t *testing.T) {
	check := func(s string) {
		if got, want := Fold(s), foldUnicode(s); got != want {
			t.Errorf("Fold(%q) = %q; foldUnicode gives %q", s, got, want)
		}
	}
	for r := rune(0); r <= latinLast+0x20; r++ {
		for _, s := range []string{string(r), "a" + string(r) + "b", " " + string(r) + "-", string(r) + string(r) + " X"} {
			check(s)
		}
	}
	for _, s := range []string{"", "help", "HELP", "Réseaux", "NOUVEAUTÉS", "sans-téléphone", "  SimpleX   Chat ",
		"a_b", "x\ty", "« SimpleX Chat »", "e\u0301", "s’abonner", "ǅemal", "ÆØÅ", "straße", "ﬁ", "\u00a0a", "abc ", "\xff"} {
		check(s)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"mesenger", "messenger", 2, 1},
		{"help", "help", 1, 0},
		{"hepl", "help", 1, 1}, // swapped neighbours count once
		{"compre", "compare", 2, 1},
		{"abc", "xyz", 1, 2}, // past the limit: limit+1
		{"a", "abcdef", 2, 3},
		{"réseau", "reseau", 2, 1}, // runes, not bytes
		{"", "", 0, 0},
	} {
		if got := Distance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("Distance(%q, %q, %d) = %d; want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}
