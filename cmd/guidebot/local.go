package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// localFlags are the flags shared by console and ask.
type localFlags struct {
	lang    string
	html    bool
	content string
}

func (f *localFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.lang, "lang", "en", "answer language: en or fr")
	fs.BoolVar(&f.html, "html", false, "print the HTML answer instead of plain text")
	fs.StringVar(&f.content, "content", "", "content directory (default: the built-in content)")
}

// engine builds the command engine and an in-memory room from the flags.
func (f *localFlags) engine() (*commands.Engine, *memRoom, error) {
	lang, ok := content.ParseLang(f.lang)
	if !ok {
		return nil, nil, fmt.Errorf("--lang %q: must be en or fr", f.lang)
	}
	set := content.Builtin()
	if f.content != "" {
		var err error
		if set, err = content.LoadDir(f.content); err != nil {
			return nil, nil, err
		}
	}
	e := commands.New(set, commands.WithVersion(version, commit), commands.WithSourceURL(sourceURL))
	return e, newMemRoom(lang), nil
}

func (f *localFlags) print(w io.Writer, r commands.Reply) {
	if f.html {
		fmt.Fprintln(w, r.HTML)
	} else {
		fmt.Fprintln(w, r.Plain)
	}
}

// askCmd answers one command line. It exits 1 when the bot refuses the
// command, after printing the same answer a room would get.
func askCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f localFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: guidebot ask [--lang fr] [--html] 'COMMAND LINE'   (e.g. guidebot ask '!compare signal briar')")
		return 2
	}
	e, room, err := f.engine()
	if err != nil {
		fmt.Fprintln(stderr, "guidebot:", err)
		return 2
	}
	reply, _ := e.Handle(context.Background(), room.request(strings.Join(fs.Args(), " ")))
	f.print(stdout, reply)
	if reply.Failed {
		return 1
	}
	return 0
}

// consoleCmd is a read–eval–print loop over the same engine, as in a direct
// message with the bot: the prefix is optional.
func consoleCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f localFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	e, room, err := f.engine()
	if err != nil {
		fmt.Fprintln(stderr, "guidebot:", err)
		return 2
	}
	interactive := isTerminal(stdin)
	if interactive {
		fmt.Fprintln(stdout, "guidebot console — type a command such as: compare signal briar   (help lists them, Ctrl-D quits)")
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for {
		if interactive {
			fmt.Fprint(stdout, "> ")
		}
		if !sc.Scan() {
			break
		}
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if reply, ok := e.Handle(context.Background(), room.request(line)); ok {
			f.print(stdout, reply)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "guidebot:", err)
		return 1
	}
	return 0
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
