package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/content"
)

// checkCmd validates the config and the content, printing every problem as
// file:line:col: message. Content comes from --content, else from the
// config's content.dir, else the built-in set (which is checked too).
func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("c", "", "config file to validate")
	contentDir := fs.String("content", "", "content directory to validate")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	failed := false
	report := func(err error) {
		failed = true
		// config and content share one Problems type (content/yamlfile)
		var ps content.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(stdout, p.String())
			}
		} else {
			fmt.Fprintln(stdout, err)
		}
	}

	if *configPath != "" {
		cfg, err := config.LoadConfig(*configPath)
		for _, w := range config.FileWarnings(*configPath) {
			fmt.Fprintln(stdout, w)
		}
		if err == nil {
			for _, w := range cfg.Warnings() {
				fmt.Fprintln(stdout, w)
			}
		}
		if err != nil {
			report(err)
		} else {
			fmt.Fprintf(stdout, "%s: ok\n", *configPath)
		}
		if *contentDir == "" && cfg != nil {
			*contentDir = cfg.Content.Dir
		}
	}

	if *contentDir != "" {
		if set, err := content.LoadDir(*contentDir); err != nil {
			report(err)
		} else {
			fmt.Fprintf(stdout, "%s: ok (%d messengers, content %s)\n", *contentDir, len(set.Messengers), set.Version())
		}
	} else {
		set := content.Builtin() // panics only if the embedded data is broken, which the tests forbid
		fmt.Fprintf(stdout, "built-in content: ok (%d messengers, content %s)\n", len(set.Messengers), set.Version())
	}
	if failed {
		return 1
	}
	return 0
}
