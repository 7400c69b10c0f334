package bot

import (
	"os"
	"os/signal"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/content"
)

// ContentLoader returns what loads the content cfg names, at start and on
// every reload (Options.LoadContent): content.dir when set, read afresh
// each time, else the built-in content.
func ContentLoader(cfg config.ContentConfig) func() (*content.Set, error) {
	if cfg.Dir == "" {
		return func() (*content.Set, error) { return content.Builtin(), nil }
	}
	dir := cfg.Dir
	return func() (*content.Set, error) { return content.LoadDir(dir) }
}

// ReloadOnSignal returns a channel for Options.Reload that receives once
// per signal in sigs (SIGHUP), several signals arriving while a reload is
// still waiting counting as one. stop ends it and restores the signals'
// default handling.
func ReloadOnSignal(sigs ...os.Signal) (reload <-chan struct{}, stop func()) {
	ch := make(chan struct{}, 1)
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sig, sigs...)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-sig:
				select {
				case ch <- struct{}{}:
				default: // a reload is already waiting
				}
			}
		}
	}()
	return ch, func() {
		signal.Stop(sig)
		close(done)
	}
}
