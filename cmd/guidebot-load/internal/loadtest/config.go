// Package loadtest measures guidebot against its performance budgets on a
// throwaway Dendrite on 127.0.0.1: the homeserver floor (one-way delivery),
// a trivial echo client's round trip and throughput, guidebot's round trip
// and throughput in the same conditions, guidebot's resident memory with
// many rooms joined, and the time from its start to its first answer, in
// plain and in encrypted rooms. guidebot runs as its own process, built
// from ./cmd/guidebot, so its memory is its own.
package loadtest

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Config scales a run. The zero value of a field means its default.
type Config struct {
	// Plain and Encrypted choose the kinds of rooms measured (both when
	// neither is set).
	Plain, Encrypted bool

	Rooms int // rooms of the sustained phase, for the bot and for the echo client each (100)
	// LargeRooms is how many rooms guidebot is brought to for its memory
	// and restart figures (10,000), after being measured at a tenth of
	// that; LargeIn is the kind of rooms that is done in: plain (the
	// default), encrypted, both or off (then the restart is measured in
	// the rooms of the timed phases).
	LargeRooms int
	LargeIn    string
	// NoisyUsers send commands at the default flood limit's pace into the noisy room
	// while the quiet room is timed (20).
	NoisyUsers int
	Commands   int           // round trips per responder, and one-way deliveries (150)
	Duration   time.Duration // measured part of the sustained phase, per responder (15 s)
	Warmup     time.Duration // unmeasured start of each sustained phase (3 s)
	Observers  int           // syncing clients watching the sustained rooms (4)
	Senders    int           // accounts sending the sustained commands, at least one per room (100; see pool.go)
	// LatencySenders send the sequential round trips (12).
	LatencySenders int
	// Settle is the idle time before memory is read (3 s).
	Settle time.Duration
	// ShortEcho makes the echo client answer "echo" instead of the same
	// text guidebot sends.
	ShortEcho bool
	// SerialEcho makes the echo client answer one message at a time from
	// its sync handler instead of sending each answer concurrently.
	SerialEcho bool

	Guidebot      string // a guidebot binary to run; built from the module when empty
	ProfileDir    string // when set, CPU and heap profiles of guidebot are written here
	WorkDir       string // parent of the temporary directory (bot database, logs); os.TempDir() when empty
	HomeserverDir string // parent of Dendrite's data; /dev/shm when it exists, else WorkDir
	// HomeserverPostgres is a PostgreSQL server URL: Dendrite keeps its
	// data in a new database there instead of SQLite files.
	HomeserverPostgres string
	Keep               bool // keep the temporary directories
	Timeout            time.Duration
	Log                io.Writer // progress lines; os.Stderr when nil
}

// Quick is the smallest run that still exercises every measurement
// (under about 2 minutes on 2 cores).
func Quick() Config {
	return Config{
		Rooms: 10, LargeRooms: 200, Commands: 24, NoisyUsers: 20,
		Duration: 4 * time.Second, Warmup: time.Second,
		Observers: 2, Senders: 60, LatencySenders: 12, Settle: time.Second,
	}
}

func (c Config) withDefaults() Config {
	if !c.Plain && !c.Encrypted {
		c.Plain, c.Encrypted = true, true
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Rooms, 100)
	def(&c.LargeRooms, BudgetRooms)
	def(&c.NoisyUsers, 20)
	if c.LargeIn == "" {
		c.LargeIn = "plain"
	}
	def(&c.Commands, 150)
	def(&c.Observers, 4)
	def(&c.Senders, 100)
	def(&c.LatencySenders, 12)
	defd(&c.Duration, 15*time.Second)
	defd(&c.Warmup, 3*time.Second)
	defd(&c.Settle, 3*time.Second)
	defd(&c.Timeout, 30*time.Minute)
	// the bot's rooms include its sustained rooms, the latency room and
	// the noisy room, and the smaller size is a tenth
	c.LargeRooms = max(c.LargeRooms, 10*(c.Rooms+3))
	c.Observers = min(c.Observers, c.Rooms)
	// every sustained room needs a sender of its own
	c.Senders = max(c.Senders, c.Rooms)
	if c.WorkDir == "" {
		c.WorkDir = os.TempDir()
	}
	if c.HomeserverDir == "" {
		c.HomeserverDir = c.WorkDir
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			c.HomeserverDir = "/dev/shm"
		}
	}
	if c.Log == nil {
		c.Log = os.Stderr
	}
	return c
}

// sendersPerRoom spreads Senders over the sustained rooms.
func (c Config) sendersPerRoom() int { return (c.Senders + c.Rooms - 1) / c.Rooms }

func (c Config) describe() string {
	echo := "the same answer text as guidebot"
	if c.ShortEcho {
		echo = `"echo"`
	}
	if c.SerialEcho {
		echo += ", one at a time"
	} else {
		echo += ", each answer sent concurrently"
	}
	large := fmt.Sprintf("then guidebot brought to %d and to %d rooms (%s rooms) for memory and restart", max(c.LargeRooms/10, c.Rooms+3), c.LargeRooms, c.LargeIn)
	if c.LargeIn == "off" {
		large = "then memory and restart in those rooms (no large-room measurement)"
	}
	data := "SQLite in " + c.HomeserverDir
	if c.HomeserverPostgres != "" {
		data = "PostgreSQL"
	}
	return fmt.Sprintf("Dendrite v0.13.8 on 127.0.0.1 (data in %s); %d round trips per responder (one command at a time, alternating echo and guidebot); "+
		"sustained phase %s (+%s warm-up) per responder over %d rooms, one command in flight per room, %d sending accounts (%d per room); "+
		"quiet room timed with %d round trips alone and %d beside a noisy room where %d users each send %d commands per %s; "+
		"timed phases with guidebot and the echo client each in %d rooms, %s; "+
		"start probed with a command every 100 ms (a start figure may be up to that late); echo answers with %s",
		data, c.Commands, c.Duration, c.Warmup, c.Rooms, c.sendersPerRoom()*c.Rooms, c.sendersPerRoom(),
		c.Commands, c.Commands, c.NoisyUsers, botRateLimit, botRateWindow,
		c.Rooms+1, large, echo)
}
