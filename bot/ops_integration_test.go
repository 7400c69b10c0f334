package bot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/guidebot/guidebot/bot/metrics"
)

// TestHealthAndMetricsOverHTTP scrapes /healthz and /metrics as an operator
// would while the bot serves: 200 and the commands just sent counted; 503
// with a reason while the homeserver is down; 200 again once it is back.
func TestHealthAndMetricsOverHTTP(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, _, err := metrics.Serve(ctx, "127.0.0.1:0", tb.metrics, tb.health)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// waitHealth polls /healthz until it answers code, within waitLong*2
	// (a long poll in flight may take its full timeout to fail).
	waitHealth := func(code int) string {
		t.Helper()
		deadline := time.Now().Add(2 * waitLong)
		for {
			got, body := get("/healthz")
			if got == code {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("/healthz = %d %q; want %d", got, body, code)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}

	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)
	u.WaitAnswer(tb.userID, u.Say(room, "!messenger signal"))
	u.WaitAnswer(tb.userID, u.Say(room, "!compare signal briar"))
	u.WaitAnswer(tb.userID, u.Say(room, "!messenger sigal")) // refused, with a suggestion
	waitHealth(http.StatusOK)

	// A command is counted once its answer is sent, which the user may see
	// first: read /metrics until every count is there, or give up.
	want := []struct {
		metric string
		min    float64
	}{
		{`guidebot_commands_total{command="messenger",outcome="ok"}`, 1},
		{`guidebot_commands_total{command="compare",outcome="ok"}`, 1},
		{`guidebot_commands_total{command="messenger",outcome="refused"}`, 1},
		{`guidebot_command_duration_seconds_count{command="compare"}`, 1},
		{`guidebot_messages_total{encrypted="false"}`, 3},
		{`guidebot_joined_rooms`, 1},
	}
	short := func(body string) (problems []string) {
		for _, tc := range want {
			m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(tc.metric) + ` (\S+)$`).FindStringSubmatch(body)
			if m == nil {
				problems = append(problems, "/metrics lacks "+tc.metric)
				continue
			}
			if v, _ := strconv.ParseFloat(m[1], 64); v < tc.min {
				problems = append(problems, fmt.Sprintf("%s = %v, want at least %v", tc.metric, v, tc.min))
			}
		}
		return problems
	}
	for deadline := time.Now().Add(waitLong); ; time.Sleep(50 * time.Millisecond) {
		_, body := get("/metrics")
		problems := short(body)
		if len(problems) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, p := range problems {
				t.Error(p)
			}
			break
		}
	}

	if err := hs.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			_ = hs.Resume()
		}
	}()
	if reason := waitHealth(http.StatusServiceUnavailable); reason == "" {
		t.Error("/healthz gave no reason for 503")
	}
	_, body := get("/metrics")
	if m := regexp.MustCompile(`(?m)^guidebot_sync_errors_total (\S+)$`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("sync errors not counted while the homeserver was down: %v", m)
	}

	if err := hs.Resume(); err != nil {
		t.Fatal(err)
	}
	stopped = false
	waitHealth(http.StatusOK)
	u.WaitAnswer(tb.userID, u.Say(room, "!help"))
}
