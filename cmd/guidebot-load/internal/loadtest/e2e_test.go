package loadtest

import (
	"bytes"
	"os"
	"testing"
)

// TestQuickRun runs the whole tool in its quickest mode against a real
// Dendrite: a few minutes, so only when GUIDEBOT_LOADTEST=1 (.ci/run sets
// it). With GUIDEBOT_TEST_POSTGRES set, Dendrite keeps its data there.
//
//	GUIDEBOT_LOADTEST=1 go test -tags goolm -run QuickRun -v -timeout 15m ./cmd/guidebot-load/internal/loadtest/
func TestQuickRun(t *testing.T) {
	if os.Getenv("GUIDEBOT_LOADTEST") != "1" {
		t.Skip("set GUIDEBOT_LOADTEST=1 to run the load tool end to end (4 to 8 minutes)")
	}
	cfg := Quick()
	cfg.HomeserverPostgres = os.Getenv("GUIDEBOT_TEST_POSTGRES")
	cfg.Log = testWriter{t}
	rep, err := Run(t.Context(), cfg)
	if rep != nil {
		var b bytes.Buffer
		_ = rep.WriteMarkdown(&b)
		t.Log("\n" + b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Modes) != 2 || rep.Modes[0].Encrypted || !rep.Modes[1].Encrypted {
		t.Fatalf("modes = %+v, want plain then encrypted", rep.Modes)
	}
	// Budgets are not asserted (a shared CI machine is noisy); every
	// figure must have been measured.
	for _, m := range rep.Modes {
		for _, r := range m.Rows() {
			if r.Result == resultNone {
				t.Errorf("%s: %q was not measured", m.title(), r.What)
			}
		}
		if m.Floor.N == 0 || m.Echo.N == 0 || m.Bot.N == 0 || m.RSSIdle == 0 || m.RSSLoad == 0 {
			t.Errorf("%s: figures missing: %+v", m.title(), m)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}
