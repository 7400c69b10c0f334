// Command guidebot-load measures guidebot against its performance budgets
// (round trip and throughput beside an echo client's, memory, start time)
// on a throwaway Dendrite on 127.0.0.1 and prints a table of every figure
// beside its budget. It runs from the guidebot module directory (it builds
// ./cmd/guidebot) and needs the Dendrite binaries the tests use.
//
//	go run -tags goolm ./cmd/guidebot-load            # full run, ~25 min on 2 cores
//	go run -tags goolm ./cmd/guidebot-load -quick     # ~2 min
//
// Exit status: 0 all budgets met, 3 a budget missed, 1 the run failed,
// 2 bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guidebot/guidebot/cmd/guidebot-load/internal/loadtest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("guidebot-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "smallest run measuring everything (about 2 minutes); other flags still apply on top")
	encrypted := fs.String("encrypted", "both", "rooms to measure: off (plain only), on (encrypted only) or both")
	format := fs.String("format", "markdown", "output format: markdown or json")
	out := fs.String("o", "", "write the report to this file as well as stdout")
	rooms := fs.Int("rooms", 0, "rooms of the sustained phase, each for guidebot and for the echo client (default 100, quick 10)")
	largeRooms := fs.Int("large-rooms", 0, "rooms guidebot is brought to for its memory and restart figures, after a tenth of that (default 10000, quick 200)")
	largeIn := fs.String("large-in", "plain", "kind of rooms the large-room measurement runs in: plain, encrypted, both or off")
	noisyUsers := fs.Int("noisy-users", 0, "users sending at guidebot's default flood-limit pace (5 per 10 s) into the noisy room while the quiet room is timed (default 20)")
	commands := fs.Int("commands", 0, "round trips per responder, and one-way deliveries (default 150, quick 24)")
	duration := fs.Duration("duration", 0, "measured length of each sustained phase (default 15s, quick 4s)")
	warmup := fs.Duration("warmup", 0, "unmeasured start of each sustained phase (default 3s, quick 1s)")
	senders := fs.Int("senders", 0, "accounts sending the sustained commands, spread over the rooms (default 100, quick 60); guidebot runs with its flood limit off")
	latSenders := fs.Int("latency-senders", 0, "accounts sending the one-at-a-time commands (default 12, quick 12; at most ~45: each claims one-time keys of the others)")
	observers := fs.Int("observers", 0, "syncing clients watching the sustained rooms (default 4, quick 2)")
	shortEcho := fs.Bool("short-echo", false, `echo client answers "echo" instead of guidebot's answer text`)
	serialEcho := fs.Bool("serial-echo", false, "echo client answers one message at a time from its sync handler (default: each answer sent concurrently)")
	bin := fs.String("guidebot", "", "run this guidebot binary instead of building ./cmd/guidebot")
	profile := fs.String("profile", "", "write CPU and heap profiles of guidebot into this directory (builds it with a pprof overlay)")
	workDir := fs.String("workdir", "", "parent of the temporary directory for guidebot's database and logs (default $TMPDIR)")
	hsDir := fs.String("hs-dir", "", "parent of Dendrite's data (default /dev/shm when present: the homeserver's fsyncs are not what is measured)")
	hsPostgres := fs.String("homeserver-postgres", "", "PostgreSQL server URL: Dendrite keeps its data in a new database there (dropped at the end) instead of SQLite files")
	keep := fs.Bool("keep", false, "keep the temporary directories (logs, databases)")
	timeout := fs.Duration("timeout", 30*time.Minute, "stop the whole run after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "guidebot-load: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var cfg loadtest.Config
	if *quick {
		cfg = loadtest.Quick()
	}
	switch *encrypted {
	case "both":
		cfg.Plain, cfg.Encrypted = true, true
	case "on", "true":
		cfg.Encrypted = true
	case "off", "false":
		cfg.Plain = true
	default:
		fmt.Fprintf(stderr, "guidebot-load: -encrypted must be off, on or both, not %q\n", *encrypted)
		return 2
	}
	if *format != "markdown" && *format != "json" {
		fmt.Fprintf(stderr, "guidebot-load: -format must be markdown or json, not %q\n", *format)
		return 2
	}
	set := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	setd := func(dst *time.Duration, v time.Duration) {
		if v > 0 {
			*dst = v
		}
	}
	set(&cfg.Rooms, *rooms)
	set(&cfg.LargeRooms, *largeRooms)
	set(&cfg.NoisyUsers, *noisyUsers)
	switch *largeIn {
	case "plain", "encrypted", "both", "off":
		cfg.LargeIn = *largeIn
	default:
		fmt.Fprintf(stderr, "guidebot-load: -large-in must be plain, encrypted, both or off, not %q\n", *largeIn)
		return 2
	}
	set(&cfg.Commands, *commands)
	set(&cfg.Senders, *senders)
	set(&cfg.LatencySenders, *latSenders)
	set(&cfg.Observers, *observers)
	setd(&cfg.Duration, *duration)
	setd(&cfg.Warmup, *warmup)
	cfg.ShortEcho, cfg.SerialEcho = *shortEcho, *serialEcho
	cfg.Guidebot, cfg.ProfileDir, cfg.WorkDir, cfg.HomeserverDir = *bin, *profile, *workDir, *hsDir
	cfg.HomeserverPostgres = *hsPostgres
	cfg.Keep, cfg.Timeout, cfg.Log = *keep, *timeout, stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, runErr := loadtest.Run(ctx, cfg)
	if rep != nil {
		write := rep.WriteMarkdown
		if *format == "json" {
			write = rep.WriteJSON
		}
		if err := write(stdout); err != nil {
			fmt.Fprintln(stderr, "guidebot-load:", err)
			return 1
		}
		if *out != "" {
			f, err := os.Create(*out)
			if err == nil {
				err = write(f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintln(stderr, "guidebot-load:", err)
				return 1
			}
		}
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "guidebot-load:", runErr)
		return 1
	}
	for i := range rep.Modes {
		if len(rep.Modes[i].Misses()) > 0 {
			return 3
		}
	}
	return 0
}
