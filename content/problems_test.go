package content

import "testing"

func TestKnownListsIDs(t *testing.T) {
	for _, c := range []struct {
		ids  map[string]bool
		want string
	}{
		{map[string]bool{}, ""},
		{map[string]bool{"signal": true, "briar": true}, "briar, signal"},
		// A card that failed to give its id must not show as ", briar".
		{map[string]bool{"": true, "briar": true}, "briar"},
	} {
		if got := known(c.ids); got != c.want {
			t.Errorf("known(%v) = %q, want %q", c.ids, got, c.want)
		}
	}
}
