package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// The performance budgets this tool checks: guidebot's round trip and
// throughput against a trivial echo client's, its memory in many rooms,
// and its time from start to first answer.
const (
	BudgetP50Extra   = 5 * time.Millisecond // bot p50 ≤ echo p50 + this
	BudgetP99Factor  = 1.2                  // bot p99 ≤ echo p99 × this
	BudgetRateRatio  = 1.00                 // bot answers/s ≥ echo answers/s × this
	BudgetInside     = 2.0                  // bot's time inside the responder ≤ echo's × this, while sustained
	BudgetRSS        = 150_000_000          // bytes, with BudgetRooms joined
	BudgetRooms      = 10_000
	BudgetFirstReply = 2 * time.Second // process start → first answer received, first start
	BudgetRestart    = 5 * time.Second // the same, restart in BudgetRooms rooms
	// quiet-room p50 beside a noisy room ≤ alone × this
	BudgetNoisyFactor = 1.10
)

// ModeResult is every figure measured for one kind of room.
type ModeResult struct {
	Encrypted bool `json:"encrypted"`

	Floor Latency `json:"floor_one_way"` // client → client delivery
	Echo  Latency `json:"echo_round_trip"`
	Bot   Latency `json:"bot_round_trip"`
	// answer − command by the homeserver's timestamps: each responder's share
	EchoTurnaround Latency `json:"echo_turnaround"`
	BotTurnaround  Latency `json:"bot_turnaround"`
	// 95 % bootstrap intervals of bot p50 − echo p50 and bot p99 / echo p99
	P50DiffCI  [2]time.Duration `json:"p50_diff_ci_ns"`
	P99RatioCI [2]float64       `json:"p99_ratio_ci"`

	SustainedRooms int        `json:"sustained_rooms"`
	EchoRate       float64    `json:"echo_answers_per_s"`
	EchoRateHalves [2]float64 `json:"echo_answers_per_s_halves"` // before and after guidebot's phase
	BotRate        float64    `json:"bot_answers_per_s"`
	EchoLoad       Latency    `json:"echo_round_trip_sustained"`
	BotLoad        Latency    `json:"bot_round_trip_sustained"`
	BotCPU         float64    `json:"bot_cpu_sustained"` // guidebot's CPU time / wall time in its sustained phase
	// mean time from a responder's handler being called to its answer
	// accepted, while sustained (guidebot's from its own metrics)
	EchoInside time.Duration `json:"echo_inside_ns"`
	BotInside  time.Duration `json:"bot_inside_ns"`

	// the quiet room's round trips alone and beside the noisy room, and
	// what the noisy room's users sent meanwhile
	QuietAlone Latency `json:"quiet_alone"`
	QuietNoisy Latency `json:"quiet_beside_noisy"`
	// the echo client's, alternating with guidebot's, in its own room
	EchoQuietAlone Latency    `json:"echo_quiet_alone"`
	EchoQuietNoisy Latency    `json:"echo_quiet_beside_noisy"`
	NoisyP50CI     [2]float64 `json:"noisy_p50_ratio_ci"`
	NoisyUsers     int        `json:"noisy_users"`
	NoisySent      int        `json:"noisy_sent"`
	NoisyRate      float64    `json:"noisy_sent_per_s"`
	NoisyHandled   int        `json:"noisy_answered"`
	NoisyLimited   int        `json:"noisy_limited"`

	// Scaled: the large-room measurement ran in this mode; Smaller holds
	// its figures at a tenth of the rooms; Made rooms were created for the
	// larger size, in MadeIn.
	Scaled      bool          `json:"scaled"`
	Smaller     *Size         `json:"smaller,omitempty"`
	Made        int           `json:"rooms_made"`
	MadeIn      time.Duration `json:"rooms_made_ns"`
	MemoryRooms int           `json:"memory_rooms"` // rooms the bot had joined when RSS was read
	BotRateAll  float64       `json:"bot_answers_per_s_all_rooms"`
	RSSIdleJoin uint64        `json:"rss_idle_after_join_bytes"` // idle after one sync brought it most of its rooms
	RSSPeakJoin uint64        `json:"rss_peak_join_bytes"`       // VmHWM of that process
	RSSIdle     uint64        `json:"rss_idle_bytes"`            // idle after a restart
	RSSLoad     uint64        `json:"rss_load_max_bytes"`
	RSSPeak     uint64        `json:"rss_peak_bytes"` // VmHWM of the restarted process, load included

	StartFirst   time.Duration `json:"start_first_ns"`   // new database, one room
	StartRestart time.Duration `json:"start_restart_ns"` // existing database, MemoryRooms rooms

	Notes []string      `json:"notes,omitempty"`
	Took  time.Duration `json:"took_ns"`
}

// Report is the outcome of one run.
type Report struct {
	Machine  Machine       `json:"machine"`
	Guidebot string        `json:"guidebot"` // what was measured
	Settings string        `json:"settings"`
	Modes    []ModeResult  `json:"modes"`
	Profiles []string      `json:"profiles,omitempty"`
	Took     time.Duration `json:"took_ns"`
}

// Row is one line of the table.
type Row struct {
	What, Measured, Budget, Result string
}

const (
	resultPass = "pass"
	resultMiss = "**MISS**"
	resultNone = "not measured"
	noBudget   = "— (reference)"
)

func verdict(ok bool) string {
	if ok {
		return resultPass
	}
	return resultMiss
}

// Rows turns a mode's figures into table rows, each beside its budget.
func (m *ModeResult) Rows() []Row {
	var rows []Row
	add := func(what, measured, budget, result string) {
		rows = append(rows, Row{what, measured, budget, result})
	}
	tri := func(l Latency) string {
		if l.N == 0 {
			return "—"
		}
		s := fmt.Sprintf("%s / %s / %s (n=%d)", ms(l.P50), ms(l.P90), ms(l.P99), l.N)
		if l.Timeouts > 0 {
			s += fmt.Sprintf(", %d unanswered", l.Timeouts)
		}
		return s
	}
	add("homeserver floor: one-way delivery p50 / p90 / p99", tri(m.Floor), noBudget, "")
	add("echo client round trip p50 / p90 / p99", tri(m.Echo), noBudget, "")
	add(fmt.Sprintf("echo client answers per second, %d rooms", m.SustainedRooms), rate(m.EchoRate), noBudget, "")
	add("guidebot round trip p50 / p90 / p99", tri(m.Bot), "", "")

	if m.Bot.N == 0 || m.Echo.N == 0 {
		add("guidebot round trip p50 vs echo", "—", "≤ echo + 5 ms", resultNone)
		add("guidebot round trip p99 vs echo", "—", "≤ echo × 1.2", resultNone)
	} else {
		limit50 := m.Echo.P50 + BudgetP50Extra
		ci := ""
		res := verdict(m.Bot.P50 <= limit50 && m.Bot.Timeouts == 0)
		if m.P50DiffCI != [2]time.Duration{} {
			ci = fmt.Sprintf("; 95 %% CI %+.1f…%+.1f ms", msf(m.P50DiffCI[0]), msf(m.P50DiffCI[1]))
			if m.P50DiffCI[0] <= BudgetP50Extra && BudgetP50Extra < m.P50DiffCI[1] {
				res += " (CI spans the budget)"
			}
		}
		add("guidebot round trip p50 vs echo",
			fmt.Sprintf("%s (echo %s, %+.1f ms%s)", ms(m.Bot.P50), ms(m.Echo.P50), msf(m.Bot.P50-m.Echo.P50), ci),
			"≤ echo + 5 ms = "+ms(limit50), res)
		limit99 := time.Duration(float64(m.Echo.P99) * BudgetP99Factor)
		ci, res = "", verdict(m.Bot.P99 <= limit99 && m.Bot.Timeouts == 0)
		if m.P99RatioCI != [2]float64{} {
			ci = fmt.Sprintf("; 95 %% CI ×%.2f…×%.2f", m.P99RatioCI[0], m.P99RatioCI[1])
			if m.P99RatioCI[0] <= BudgetP99Factor && BudgetP99Factor < m.P99RatioCI[1] {
				res += " (CI spans the budget)"
			}
		}
		add("guidebot round trip p99 vs echo",
			fmt.Sprintf("%s (echo %s, ×%.2f%s)", ms(m.Bot.P99), ms(m.Echo.P99), float64(m.Bot.P99)/float64(m.Echo.P99), ci),
			"≤ echo × 1.2 = "+ms(limit99), res)
	}

	if m.BotTurnaround.N > 0 && m.EchoTurnaround.N > 0 {
		add("responder's share (answer − command, homeserver timestamps) p50 / p99, guidebot",
			fmt.Sprintf("%s / %s", ms(m.BotTurnaround.P50), ms(m.BotTurnaround.P99)),
			fmt.Sprintf("— (echo %s / %s)", ms(m.EchoTurnaround.P50), ms(m.EchoTurnaround.P99)), "")
	}

	what := fmt.Sprintf("guidebot commands per second, %d rooms", m.SustainedRooms)
	if m.BotRate == 0 || m.EchoRate == 0 {
		add(what, rate(m.BotRate), "≥ 100 % of echo", resultNone)
	} else {
		ratio := m.BotRate / m.EchoRate
		measured := fmt.Sprintf("%s = %.0f %% of echo", rate(m.BotRate), 100*ratio)
		res := verdict(ratio >= BudgetRateRatio)
		if a, b := m.EchoRateHalves[0], m.EchoRateHalves[1]; a > 0 && b > 0 {
			measured += fmt.Sprintf(" (echo %s before, %s after)", rate(a), rate(b))
			// the homeserver's pace moved between the halves by more than
			// the budget's margin: either half alone could flip the verdict
			lo, hi := min(a, b), max(a, b)
			if m.BotRate/hi < BudgetRateRatio && m.BotRate/lo >= BudgetRateRatio {
				res += " (echo drifted: not resolved)"
			}
		}
		add(what, measured, fmt.Sprintf("≥ 100 %% of echo = %s", rate(m.EchoRate*BudgetRateRatio)), res)
	}
	if m.BotLoad.N > 0 || m.EchoLoad.N > 0 {
		add("round trip while sustained, guidebot p50 / p99", fmt.Sprintf("%s / %s", ms(m.BotLoad.P50), ms(m.BotLoad.P99)),
			fmt.Sprintf("— (echo %s / %s)", ms(m.EchoLoad.P50), ms(m.EchoLoad.P99)), "")
	}

	if m.BotInside > 0 && m.EchoInside > 0 {
		limit := time.Duration(float64(m.EchoInside) * BudgetInside)
		add("time inside the responder per answer while sustained (handler → answer accepted), mean, guidebot",
			fmt.Sprintf("%s (echo %s, ×%.2f)", ms(m.BotInside), ms(m.EchoInside), float64(m.BotInside)/float64(m.EchoInside)),
			fmt.Sprintf("≤ echo × %.0f = %s", BudgetInside, ms(limit)), verdict(m.BotInside <= limit))
	}
	if m.BotCPU > 0 {
		add("guidebot CPU while sustained (CPU time / wall time)", fmt.Sprintf("%.0f %% of one core", 100*m.BotCPU), "— (diagnostic)", "")
	}

	m.noisyRows(add)

	rooms := fmt.Sprintf("%d rooms", m.MemoryRooms)
	if m.MemoryRooms != BudgetRooms {
		rooms += fmt.Sprintf(" (budget is for %d)", BudgetRooms)
	}
	budgetRSS := "≤ " + mb(BudgetRSS)
	memRow := func(what string, v uint64) {
		if v == 0 {
			add(what, "—", budgetRSS, resultNone)
			return
		}
		add(what, mb(v), budgetRSS, verdict(v <= BudgetRSS))
	}
	if m.Scaled || m.RSSIdleJoin > 0 {
		memRow(fmt.Sprintf("guidebot resident memory (VmRSS), %s, idle after the syncs that brought them (at most %d new rooms per start, fewer once a catch-up is slow)", rooms, growChunk), m.RSSIdleJoin)
	}
	if m.RSSPeakJoin > 0 {
		add("guidebot peak resident memory (VmHWM) during that sync", mb(m.RSSPeakJoin), "— (peak)", "")
	}
	memRow("guidebot resident memory (VmRSS), "+rooms+", idle after a restart", m.RSSIdle)
	memRow("guidebot resident memory (VmRSS), "+rooms+", under load (max)", m.RSSLoad)
	if m.RSSPeak > 0 {
		add("guidebot peak resident memory (VmHWM) since the restart", mb(m.RSSPeak), "— (peak)", "")
	}
	if m.BotRateAll > 0 {
		add(fmt.Sprintf("guidebot commands per second, %d rooms, while in %d rooms", m.SustainedRooms, m.MemoryRooms), rate(m.BotRateAll), noBudget, "")
	}

	startRow := func(what string, d, budget time.Duration) {
		b := fmt.Sprintf("≤ %.0f s", budget.Seconds())
		if d == 0 {
			add(what, "—", b, resultNone)
			return
		}
		add(what, fmt.Sprintf("%.2f s", d.Seconds()), b, verdict(d <= budget))
	}
	startRow("start to first answer, first start (new database, 1 room)", m.StartFirst, BudgetFirstReply)
	startRow("start to first answer, restart in "+rooms, m.StartRestart, BudgetRestart)
	m.scaleRows(add)
	return rows
}

// Misses lists the rows that missed their budget.
func (m *ModeResult) Misses() []Row {
	var out []Row
	for _, r := range m.Rows() {
		if strings.HasPrefix(r.Result, resultMiss) {
			out = append(out, r)
		}
	}
	return out
}

func (m *ModeResult) title() string {
	if m.Encrypted {
		return "encrypted rooms"
	}
	return "plain rooms"
}

// WriteMarkdown prints the machine, the settings and one table per mode.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# guidebot load test\n\n")
	fmt.Fprintf(&b, "- machine: %s\n", r.Machine)
	if r.Guidebot != "" {
		fmt.Fprintf(&b, "- guidebot: %s\n", r.Guidebot)
	}
	fmt.Fprintf(&b, "- run: %s\n", r.Settings)
	fmt.Fprintf(&b, "- took: %s\n", r.Took.Round(time.Second))
	for i := range r.Modes {
		m := &r.Modes[i]
		fmt.Fprintf(&b, "\n## %s\n\n", m.title())
		b.WriteString("| figure | measured | budget | result |\n|---|---|---|---|\n")
		for _, row := range m.Rows() {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(row.What), cell(row.Measured), cell(row.Budget), cell(row.Result))
		}
		if len(m.Notes) > 0 {
			b.WriteString("\n")
			for _, n := range m.Notes {
				fmt.Fprintf(&b, "- %s\n", n)
			}
		}
		fmt.Fprintf(&b, "\n(%s measured in %s; MB = 10⁶ bytes.)\n", m.title(), m.Took.Round(time.Second))
	}
	if len(r.Profiles) > 0 {
		b.WriteString("\nProfiles of the guidebot process:\n\n")
		for _, p := range r.Profiles {
			fmt.Fprintf(&b, "- %s\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as one JSON document (durations in ns).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func cell(s string) string {
	if s == "" {
		return " "
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", msf(d)) }

func mb(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func rate(r float64) string {
	if r == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f/s", r)
}
