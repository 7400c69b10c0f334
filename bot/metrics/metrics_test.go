package metrics

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHealthStates(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	h := NewHealth()
	h.now = func() time.Time { return now }
	steps := []struct {
		name   string
		do     func()
		ok     bool
		reason string
	}{
		{"before any sync", func() {}, false, "not connected yet"},
		{"first sync fails", func() { h.SyncFailed("connection refused") }, false, "not connected yet: connection refused"},
		{"sync works", h.SyncOK, true, "ok"},
		{"sync fails again", func() { h.SyncFailed("502 Bad Gateway") }, false, "sync failing: 502 Bad Gateway"},
		{"recovers", h.SyncOK, true, "ok"},
		{"goes stale", func() { now = now.Add(91 * time.Second) }, false, "no successful sync since 2026-11-25T12:00:00Z"},
	}
	for _, s := range steps {
		s.do()
		ok, reason := h.Status()
		if ok != s.ok || reason != s.reason {
			t.Errorf("%s: Status() = %v, %q; want %v, %q", s.name, ok, reason, s.ok, s.reason)
		}
	}
}

func TestServeHealthAndMetrics(t *testing.T) {
	m, h := New(), NewHealth()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done, err := Serve(ctx, "127.0.0.1:0", m, h)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not connected") {
		t.Errorf("/healthz before sync = %d %q", code, body)
	}
	h.SyncOK()
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after sync = %d %q", code, body)
	}

	m.ObserveCommand("compare", OutcomeOK, 3*time.Millisecond)
	m.ObserveCommand("compare", OutcomeOK, 5*time.Millisecond)
	m.ObserveCommand("messenger", OutcomeRefused, time.Millisecond)
	m.ObserveMessage(true)
	m.JoinedRooms.Set(3)
	_, body := get("/metrics")
	for _, want := range []string{
		`guidebot_commands_total{command="compare",outcome="ok"} 2`,
		`guidebot_commands_total{command="messenger",outcome="refused"} 1`,
		`guidebot_command_duration_seconds_count{command="compare"} 2`,
		`guidebot_messages_total{encrypted="true"} 1`,
		`guidebot_joined_rooms 3`,
		`guidebot_sync_errors_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if code, _ := get("/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("server did not stop")
	}
}

func TestServeBadAddress(t *testing.T) {
	if _, _, err := Serve(context.Background(), "127.0.0.1:notaport", New(), NewHealth()); err == nil || !strings.Contains(err.Error(), "http.listen") {
		t.Errorf("Serve(bad address) error = %v, want one naming http.listen", err)
	}
}
