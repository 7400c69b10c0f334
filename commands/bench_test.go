package commands

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/guidebot/guidebot/content"
)

// benchLines are typical commands, in the form a user of each language types.
var benchLines = []struct{ name, en, fr string }{
	{"help", "!help", "!aide"},
	{"help_cmd", "!help compare", "!aide comparer"},
	{"messenger", "!messenger signal", "!messagerie signal"},
	{"messenger_alias", `!m "SimpleX Chat"`, "!messagerie « SimpleX Chat »"},
	{"messenger_typo", "!messenger sigal", "!messagerie sigal"},
	{"messengers", "!messengers", "!messageries"},
	{"messenger_notlisted", "!messenger telegram", "!messagerie tg"},
	{"compare2", "!compare session briar", "!comparer session briar"},
	{"compare5", "!vs signal molly simplex briar session", "!comparer signal molly simplex briar session"},
	{"compare_mixed", "!compare signal telegram whatsapp", "!comparer signal telegram whatsapp"},
	{"recommend", "!recommend", "!recommander"},
	{"recommend_needs", "!recommend no-phone ios", "!recommander sans-téléphone iphone"},
	{"networks", "!networks", "!réseaux"},
	{"networks_type", "!networks p2p", "!réseaux pair-à-pair"},
	{"criteria", "!criteria", "!critères"},
	{"changes", "!changes", "!nouveautés"},
	{"about", "!about", "!apropos"},
	{"settings", "!settings", "!parametres"},
	{"set", "!set replies reply", "!regler reponses reponse"},
	{"named", "guidebot: m briar", "guidebot: messagerie briar"},
	{"dm_name", "signal", "signal"},
	{"not_addressed", "I think signal is fine", "je pense que signal suffit"},
}

// BenchmarkHandle times one command from the line to both rendered bodies,
// against the budget of 50 µs at p99.
func BenchmarkHandle(b *testing.B) {
	e := testEngine(b)
	ctx := context.Background()
	for _, bl := range benchLines {
		for _, lang := range content.Langs {
			line := bl.en
			if lang == content.FR {
				line = bl.fr
			}
			b.Run(bl.name+"/"+string(lang), func(b *testing.B) {
				room := newRoom(lang)
				req := Request{Text: line, Room: room, Direct: bl.name == "dm_name", BotNames: botNames}
				b.ReportAllocs()
				for b.Loop() {
					room.settings.Replies = "thread" // set changes it; keep every run the same
					e.Handle(ctx, req)
				}
			})
		}
	}
}

// BenchmarkHandleP99 runs every benchmark line in turn and reports the
// 99th percentile of single calls: the budget is on p99, not the mean.
func BenchmarkHandleP99(b *testing.B) {
	e := testEngine(b)
	ctx := context.Background()
	var reqs []Request
	for _, bl := range benchLines {
		for _, lang := range content.Langs {
			line := bl.en
			if lang == content.FR {
				line = bl.fr
			}
			reqs = append(reqs, Request{Text: line, Room: newRoom(lang), Direct: bl.name == "dm_name", BotNames: botNames})
		}
	}
	durations := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := reqs[i%len(reqs)]
		i++
		start := time.Now()
		e.Handle(ctx, req)
		if len(durations) < cap(durations) {
			durations = append(durations, time.Since(start))
		}
	}
	slices.Sort(durations)
	if n := len(durations); n > 0 {
		b.ReportMetric(float64(durations[n*99/100].Nanoseconds()), "p99-ns")
		b.ReportMetric(float64(durations[n-1].Nanoseconds()), "max-ns")
	}
}

// BenchmarkSetContent times rendering every cached answer for a new content
// set, which happens on each reload.
func BenchmarkSetContent(b *testing.B) {
	e := testEngine(b)
	set := builtin(b)
	b.ReportAllocs()
	for b.Loop() {
		e.SetContent(set)
	}
}
