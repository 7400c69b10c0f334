package loadtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1) // 1..100 ms
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample is every percentile", []time.Duration{ms(7)}, 99, ms(7)},
		{"p50 of 1..100", hundred, 50, ms(50)},
		{"p90 of 1..100", hundred, 90, ms(90)},
		{"p99 of 1..100 is not the maximum", hundred, 99, ms(99)},
		{"p100 is the maximum", hundred, 100, ms(100)},
		{"p50 of two is the lower", []time.Duration{ms(1), ms(2)}, 50, ms(1)},
		{"p99 of 10 is the maximum", hundred[:10], 99, ms(10)},
		{"p90 of 10 is the 9th", hundred[:10], 90, ms(9)},
		{"tiny p is the minimum", hundred, 0.001, ms(1)},
	} {
		if got := Percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: Percentile(p%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	samples := []time.Duration{5, 1, 4, 2, 3}
	l := Summarize(samples, 2)
	want := Latency{N: 5, P50: 3, P90: 5, P99: 5, Mean: 3, Max: 5, Timeouts: 2}
	if l != want {
		t.Errorf("Summarize = %+v, want %+v", l, want)
	}
	if empty := Summarize(nil, 1); empty != (Latency{Timeouts: 1}) {
		t.Errorf("Summarize(nil) = %+v", empty)
	}
}

// sample is a plausible mode result that meets every budget.
func sample() ModeResult {
	ms := time.Millisecond
	return ModeResult{
		Floor:          Latency{N: 200, P50: 30 * ms, P90: 40 * ms, P99: 60 * ms},
		Echo:           Latency{N: 200, P50: 70 * ms, P90: 80 * ms, P99: 100 * ms},
		Bot:            Latency{N: 200, P50: 73 * ms, P90: 85 * ms, P99: 115 * ms},
		SustainedRooms: 100,
		EchoRate:       40, BotRate: 42,
		EchoInside: 100 * ms, BotInside: 150 * ms,
		QuietAlone: Latency{N: 150, P50: 70 * ms, P99: 100 * ms}, QuietNoisy: Latency{N: 150, P50: 75 * ms, P99: 120 * ms},
		NoisyUsers: 20, NoisySent: 600, NoisyRate: 10, NoisyHandled: 590, NoisyLimited: 10,
		Scaled: true, Smaller: &Size{Rooms: 1000, RSSJoin: 30e6, RSSRestart: 25e6, Restart: 1000 * ms},
		MemoryRooms: 10000, RSSIdleJoin: 45e6, RSSPeakJoin: 50e6, RSSIdle: 35e6, RSSLoad: 40e6, RSSPeak: 41e6,
		StartFirst: 900 * ms, StartRestart: 1500 * ms,
	}
}

func resultOf(t *testing.T, m ModeResult, prefix string) string {
	t.Helper()
	for _, r := range m.Rows() {
		if strings.HasPrefix(r.What, prefix) {
			return r.Result
		}
	}
	t.Fatalf("no row starting %q", prefix)
	return ""
}

func TestBudgets(t *testing.T) {
	m := sample()
	if miss := m.Misses(); len(miss) != 0 {
		t.Fatalf("a result within every budget misses %+v", miss)
	}
	for _, tc := range []struct {
		name   string
		change func(*ModeResult)
		row    string
		want   string
	}{
		{"p50 exactly echo + 5 ms passes", func(m *ModeResult) { m.Bot.P50 = m.Echo.P50 + 5*time.Millisecond }, "guidebot round trip p50 vs", resultPass},
		{"p50 over echo + 5 ms misses", func(m *ModeResult) { m.Bot.P50 = m.Echo.P50 + 5*time.Millisecond + 1 }, "guidebot round trip p50 vs", resultMiss},
		{"p99 exactly echo × 1.2 passes", func(m *ModeResult) { m.Bot.P99 = 120 * time.Millisecond }, "guidebot round trip p99 vs", resultPass},
		{"p99 over echo × 1.2 misses", func(m *ModeResult) { m.Bot.P99 = 121 * time.Millisecond }, "guidebot round trip p99 vs", resultMiss},
		{"an unanswered command misses", func(m *ModeResult) { m.Bot.Timeouts = 1 }, "guidebot round trip p50 vs", resultMiss},
		{"as fast as echo passes", func(m *ModeResult) { m.BotRate = 40 }, "guidebot commands per second", resultPass},
		{"slower than echo misses", func(m *ModeResult) { m.BotRate = 39.9 }, "guidebot commands per second", resultMiss},
		{"no throughput is not measured", func(m *ModeResult) { m.EchoRate = 0 }, "guidebot commands per second", resultNone},
		{"a drifting echo is not resolved", func(m *ModeResult) { m.BotRate, m.EchoRateHalves = 35, [2]float64{50, 30} }, "guidebot commands per second", resultMiss + " (echo drifted: not resolved)"},
		{"a steady echo is", func(m *ModeResult) { m.BotRate, m.EchoRateHalves = 35, [2]float64{41, 39} }, "guidebot commands per second", resultMiss},
		{"twice echo's time inside passes", func(m *ModeResult) { m.BotInside = 2 * m.EchoInside }, "time inside the responder", resultPass},
		{"over twice echo's time inside misses", func(m *ModeResult) { m.BotInside = 2*m.EchoInside + 1 }, "time inside the responder", resultMiss},
		{"150 MB passes", func(m *ModeResult) { m.RSSIdle = 150e6 }, "guidebot resident memory (VmRSS), 10000 rooms, idle after a restart", resultPass},
		{"over 150 MB after the big sync misses", func(m *ModeResult) { m.RSSIdleJoin = 151e6 }, "guidebot resident memory (VmRSS), 10000 rooms, idle after the sync", resultMiss},
		{"over 150 MB misses", func(m *ModeResult) { m.RSSLoad = 150e6 + 1 }, "guidebot resident memory (VmRSS), 10000 rooms, under load", resultMiss},
		{"2 s to the first answer passes", func(m *ModeResult) { m.StartFirst = 2 * time.Second }, "start to first answer, first start", resultPass},
		{"over 2 s at the first start misses", func(m *ModeResult) { m.StartFirst = 2*time.Second + 1 }, "start to first answer, first start", resultMiss},
		{"5 s to the first answer after a restart passes", func(m *ModeResult) { m.StartRestart = 5 * time.Second }, "start to first answer, restart", resultPass},
		{"over 5 s after a restart misses", func(m *ModeResult) { m.StartRestart = 5*time.Second + 1 }, "start to first answer, restart", resultMiss},
		{"quiet room ×1.10 passes", func(m *ModeResult) { m.QuietNoisy.P50 = 77 * time.Millisecond }, "quiet room p50 beside", resultPass},
		{"quiet room over ×1.10 misses", func(m *ModeResult) { m.QuietNoisy.P50 = 77*time.Millisecond + 1 }, "quiet room p50 beside", resultMiss},
		{"an unanswered quiet command misses", func(m *ModeResult) { m.QuietNoisy.Timeouts = 1 }, "quiet room p50 beside", resultMiss},
		{"no noisy phase is not measured", func(m *ModeResult) { m.QuietNoisy = Latency{} }, "quiet room p50 beside", resultNone},
		{"no start figure is not measured", func(m *ModeResult) { m.StartFirst = 0 }, "start to first answer, first start", resultNone},
	} {
		m := sample()
		tc.change(&m)
		if got := resultOf(t, m, tc.row); got != tc.want {
			t.Errorf("%s: %q = %q, want %q", tc.name, tc.row, got, tc.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	plain, enc := sample(), sample()
	enc.Encrypted = true
	enc.Bot.P99 = 200 * time.Millisecond
	enc.MemoryRooms = 50
	enc.Notes = []string{"a | note"}
	rep := &Report{
		Machine:  Machine{NProc: 2, CPUModel: "Test CPU @ 1.00GHz", MemTotal: 8e9, Kernel: "6.1", GoVersion: "go1.26.8"},
		Settings: "test settings",
		Modes:    []ModeResult{plain, enc},
		Took:     9*time.Minute + 30*time.Second,
	}
	var b bytes.Buffer
	if err := rep.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"nproc 2, Test CPU @ 1.00GHz, 8.0 GB RAM, Linux 6.1, go1.26.8",
		"- run: test settings",
		"- took: 9m30s",
		"## plain rooms",
		"## encrypted rooms",
		"| figure | measured | budget | result |",
		"| homeserver floor: one-way delivery p50 / p90 / p99 | 30.0 ms / 40.0 ms / 60.0 ms (n=200) | — (reference) |   |",
		"| guidebot round trip p50 vs echo | 73.0 ms (echo 70.0 ms, +3.0 ms) | ≤ echo + 5 ms = 75.0 ms | pass |",
		"| guidebot round trip p99 vs echo | 200.0 ms (echo 100.0 ms, ×2.00) | ≤ echo × 1.2 = 120.0 ms | **MISS** |",
		"| guidebot commands per second, 100 rooms | 42.0/s = 105 % of echo | ≥ 100 % of echo = 40.0/s | pass |",
		"| guidebot resident memory (VmRSS), 10000 rooms, idle after a restart | 35.0 MB | ≤ 150.0 MB | pass |",
		"| time inside the responder per answer while sustained (handler → answer accepted), mean, guidebot | 150.0 ms (echo 100.0 ms, ×1.50) | ≤ echo × 2 = 200.0 ms | pass |",
		"50 rooms (budget is for 10000)",
		"| start to first answer, first start (new database, 1 room) | 0.90 s | ≤ 2 s | pass |",
		"| start to first answer, restart in 10000 rooms | 1.50 s | ≤ 5 s | pass |",
		"| quiet room p50 beside a noisy room (20 users each at the default flood limit's pace) vs alone | 75.0 ms (alone 70.0 ms, ×1.07) | ≤ ×1.10 = 77.0 ms | pass |",
		"| guidebot in 1000 rooms: VmRSS idle after the sync that brought them / after a restart; restart to first answer | 30.0 MB / 25.0 MB; 1.00 s |",
		// 30 → 45 MB over 9,000 rooms: +15 MB per 9,000 more, 150 MB more at 100,000
		"| extrapolated to 100000 rooms (a straight line through 1000 and 10000 rooms, not measured): VmRSS after joining / after a restart; restart to first answer | 195.0 MB / 135.0 MB; 6.5 s |",
		"- a | note",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	// every table row has four cells, whatever the text holds
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") {
			if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 5 {
				t.Errorf("row with %d separators: %s", n, line)
			}
		}
	}
	if got := len(rep.Modes[1].Misses()); got != 1 {
		t.Errorf("encrypted misses = %d, want 1", got)
	}
}

func TestExtrapolate(t *testing.T) {
	if got := extrapolate(1000, 30, 10000, 45, 100000); got != 195 {
		t.Errorf("extrapolate = %v, want 195", got)
	}
	if got := extrapolate(1000, 30, 1000, 45, 100000); got != 45 {
		t.Errorf("one size extrapolates to %v, want its own value 45", got)
	}
}

func TestNextChunk(t *testing.T) {
	for _, c := range []struct {
		n, have int
		took    time.Duration
		want    int
	}{
		{2500, 3500, 10 * time.Second, growChunk}, // fast: as many as allowed
		// 2,500 new in 45 s at 3,500: 18 ms each there; at 3,500 + the
		// next chunk each costs more, so fewer than 2,500
		{2500, 3500, 45 * time.Second, 1458},
		{1000, 9000, 600 * time.Second, minChunk}, // far too slow: the floor
		{0, 100, 0, growChunk},                    // nothing measured yet
	} {
		if got := nextChunk(c.n, c.have, c.took); got != c.want {
			t.Errorf("nextChunk(%d, %d, %s) = %d, want %d", c.n, c.have, c.took, got, c.want)
		}
	}
}

func TestJSON(t *testing.T) {
	rep := &Report{Modes: []ModeResult{sample()}}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Modes[0].Bot != rep.Modes[0].Bot || back.Modes[0].RSSIdle != rep.Modes[0].RSSIdle {
		t.Errorf("JSON round trip changed the figures: %+v", back.Modes[0])
	}
}

func TestPool(t *testing.T) {
	p := newPool([]*peer{{name: "a"}, {name: "b"}})
	ctx := t.Context()
	soon := time.Now().Add(50 * time.Millisecond)
	var got []string
	for range 4 {
		s := p.acquire(ctx, soon)
		if s == nil {
			t.Fatalf("no sender after %d commands, with none busy", len(got))
		}
		got = append(got, s.p.name)
		p.release(s)
	}
	if strings.Join(got, "") != "abab" {
		t.Errorf("senders taken in order %v, want them in turn", got)
	}
	// a busy sender is not handed out twice: with both busy, the next
	// waits past the deadline
	s1 := p.acquire(ctx, soon)
	s2 := p.acquire(ctx, soon)
	if s1 == nil || s2 == nil || s1 == s2 {
		t.Fatalf("two acquires = %v, %v, want both senders", s1, s2)
	}
	began := time.Now()
	if s, waited := p.acquire(ctx, began.Add(30*time.Millisecond)), time.Since(began); s != nil || waited < 30*time.Millisecond {
		t.Errorf("acquire with every sender busy = %v after %v, want nil after the deadline", s, waited)
	}
	p.release(s1)
	if s := p.acquire(ctx, soon); s != s1 {
		t.Errorf("after a release, acquire = %v, want the released sender", s)
	}
}

func TestTracker(t *testing.T) {
	tr := newTracker()
	ctx := t.Context()
	// an arrival before anyone waits is kept
	tr.note("$early", arrival{body: "a"})
	if a, ok := tr.wait(ctx, "$early", time.Now()); !ok || a.body != "a" {
		t.Errorf("early arrival lost: %v %v", a, ok)
	}
	// the first arrival wins
	go func() {
		time.Sleep(10 * time.Millisecond)
		tr.note("$late", arrival{body: "first"})
		tr.note("$late", arrival{body: "second"})
	}()
	if a, ok := tr.wait(ctx, "$late", time.Now().Add(5*time.Second)); !ok || a.body != "first" {
		t.Errorf("wait = %v %v, want the first arrival", a, ok)
	}
	if _, ok := tr.wait(ctx, "$never", time.Now().Add(10*time.Millisecond)); ok {
		t.Error("an event that never arrived was found")
	}
	if len(tr.waiters) != 0 {
		t.Errorf("%d waiters left behind", len(tr.waiters))
	}
}

func TestOthersShare(t *testing.T) {
	a := cpuSnap{total: 1000, busy: 100, steal: 10, ours: 50}
	b := cpuSnap{total: 2000, busy: 700, steal: 60, ours: 350}
	others, steal := othersShare(a, b)
	if others != 0.3 || steal != 0.05 {
		t.Errorf("othersShare = %v, %v; want 0.3, 0.05", others, steal)
	}
	if o, _ := othersShare(b, b); o != 0 {
		t.Errorf("no time passed, others = %v", o)
	}
	if s := readCPU(); s.total == 0 || s.busy == 0 {
		t.Errorf("no machine CPU figures from /proc/stat: %+v", s)
	}
}

func TestBootstrapCI(t *testing.T) {
	var a, b []time.Duration
	for i := range 200 {
		d := time.Duration(50+i%40) * time.Millisecond // 50..89 ms
		a = append(a, d)
		b = append(b, d+10*time.Millisecond)
	}
	p50diff := func(a, b []time.Duration) float64 { return float64(Percentile(b, 50) - Percentile(a, 50)) }
	lo, hi := BootstrapCI(a, b, p50diff, 1000)
	if time.Duration(lo) > 10*time.Millisecond || time.Duration(hi) < 10*time.Millisecond {
		t.Errorf("CI of a 10 ms shift = [%v, %v], want it to hold 10 ms", time.Duration(lo), time.Duration(hi))
	}
	if hi-lo > float64(20*time.Millisecond) {
		t.Errorf("CI of a 10 ms shift is %v wide", time.Duration(hi-lo))
	}
	lo2, hi2 := BootstrapCI(a, b, p50diff, 1000)
	if lo2 != lo || hi2 != hi {
		t.Error("the same samples gave another interval")
	}
	if lo, hi := BootstrapCI(nil, b, p50diff, 1000); lo != 0 || hi != 0 {
		t.Errorf("no samples gave [%v, %v]", lo, hi)
	}
}
