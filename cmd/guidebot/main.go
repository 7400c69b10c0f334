// Command guidebot is a Matrix bot that helps people choose a private,
// end-to-end encrypted messenger. This file only dispatches subcommands;
// each lives in its own file.
package main

import (
	"fmt"
	"io"
	"os"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
// sourceURL (-X main.sourceURL=https://…) is where this build's code lives,
// for !about; bot.source_url in the config overrides it, and with neither
// !about says nothing about source code.
var (
	version   = "dev"
	commit    = "unknown"
	sourceURL string
)

const usage = `guidebot — answers questions about private, end-to-end encrypted messengers.

Usage:
  guidebot run [-c config.yaml]                   connect to the homeserver and serve
  guidebot console [--lang fr] [--html]           try the commands locally, no homeserver needed
  guidebot ask [--lang fr] [--html] 'COMMAND'     answer one command and exit
  guidebot check [-c config.yaml] [--content DIR] validate the config and the content
  guidebot version                                print the version

Run "guidebot ask help" to see what the bot answers.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runCmd(args[1:])
	case "console":
		return consoleCmd(args[1:], stdin, stdout, stderr)
	case "ask":
		return askCmd(args[1:], stdout, stderr)
	case "check":
		return checkCmd(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		return versionCmd(stdout)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "guidebot: unknown command %q\n\n%s", args[0], usage)
	return 2
}
