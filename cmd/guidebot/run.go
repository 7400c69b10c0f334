package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/guidebot/guidebot/bot"
	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/bot/metrics"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// defaultConfigPath is read by run when -c is not given; when it does not
// exist the configuration comes from the environment alone (containers).
const defaultConfigPath = "config.yaml"

// runCmd is `guidebot run [-c config.yaml]`: load the config, connect and
// serve until SIGINT or SIGTERM.
func runCmd(args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	path := fs.String("c", "", "config file (default "+defaultConfigPath+" if it exists, else the environment only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "guidebot run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *path == "" {
		if _, err := os.Stat(defaultConfigPath); err == nil {
			*path = defaultConfigPath
		}
	}
	cfg, err := config.LoadConfig(*path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "guidebot run: invalid configuration:\n%v\n", err)
		return 1
	}
	log := newLogger(cfg.Logging)
	for _, w := range append(config.FileWarnings(*path), cfg.Warnings()...) {
		log.Warn().Msg(w)
	}

	// The same loader reads the content now and on every reload.
	load := bot.ContentLoader(cfg.Content)
	set, err := load()
	if err != nil {
		log.Error().Err(err).Str("dir", cfg.Content.Dir).Msg("Invalid content")
		return 1
	}
	lang, _ := content.ParseLang(cfg.Bot.DefaultLanguage)
	src := cfg.Bot.SourceURL
	if src == "" {
		src = sourceURL // the build's own, if it was given one
	}
	engine := commands.New(set, commands.WithVersion(version, commit), commands.WithDefaults(lang, cfg.Bot.Prefix),
		commands.WithSourceURL(src))
	m, health := metrics.New(), metrics.NewHealth()
	// SIGHUP reloads the content and announces what changed, at once.
	reload, stopReload := bot.ReloadOnSignal(syscall.SIGHUP)
	defer stopReload()
	b, err := bot.New(cfg, log, bot.Options{
		Engine: engine, Metrics: m, Health: health,
		LoadContent: load, Reload: reload,
	})
	if err != nil {
		log.Error().Err(err).Msg("Invalid configuration")
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.HTTP.Listen != "" {
		addr, _, err := metrics.Serve(ctx, cfg.HTTP.Listen, m, health)
		if err != nil {
			log.Error().Err(err).Msg("Could not serve metrics")
			return 1
		}
		log.Info().Stringer("addr", addr).Msg("Serving /metrics and /healthz")
	}
	log.Info().Str("version", version).Str("commit", commit).Str("content", set.Version()).Msg("Starting")
	if err := b.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error().Err(err).Msg("Stopped")
		return 1
	}
	log.Info().Msg("Stopped")
	return 0
}

// newLogger builds the zerolog logger the config asks for. The config was
// validated, so the level parses.
func newLogger(cfg config.LoggingConfig) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.Level)
	if err != nil {
		level = zerolog.InfoLevel
	}
	var log zerolog.Logger
	if cfg.Format == "json" {
		log = zerolog.New(os.Stderr)
	} else {
		log = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.DateTime})
	}
	return log.Level(level).With().Timestamp().Logger()
}
