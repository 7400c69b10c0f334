package commands

import (
	"context"
	"sync"
	"testing"

	"github.com/guidebot/guidebot/content"
)

// fakeRoom is a Room in memory whose permission answer the test chooses.
type fakeRoom struct {
	mu       sync.Mutex
	settings Settings
	allow    bool
	needed   int
	permErr  error
	setErr   error
	set      []string // "key=value" for every SetSetting call
	asked    int      // MayChangeSettings calls
}

func newRoom(lang content.Lang) *fakeRoom {
	return &fakeRoom{
		settings: Settings{Language: lang, Prefix: "!", Replies: "thread"},
		allow:    true,
		needed:   50,
	}
}

func (r *fakeRoom) Settings() Settings {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settings
}

func (r *fakeRoom) MayChangeSettings(context.Context) (bool, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked++
	return r.allow, r.needed, r.permErr
}

func (r *fakeRoom) SetSetting(_ context.Context, key, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.setErr != nil {
		return r.setErr
	}
	r.set = append(r.set, key+"="+value)
	return r.settings.Apply(key, value)
}

// botNames are the names the test bot answers to.
var botNames = []string{"guidebot", "Guide Bot", "@guidebot:example.org"}

var (
	builtinOnce sync.Once
	builtinSet  *content.Set
)

// builtin is the content built into the binary: what users read.
func builtin(t testing.TB) *content.Set {
	builtinOnce.Do(func() { builtinSet = content.Builtin() })
	if len(builtinSet.Messengers) == 0 {
		// The answers users read come from this set: no content is a
		// broken build, not a reason to skip.
		t.Fatal("the built-in content holds no messenger")
	}
	return builtinSet
}

func testEngine(t testing.TB) *Engine {
	return New(builtin(t), WithVersion("1.2.3", "abc1234"), WithSourceURL("https://example.org/guidebot"))
}

// ask sends line to e as a room message in room.
func ask(e *Engine, room Room, line string) (Reply, bool) {
	return e.Handle(context.Background(), Request{Text: line, Room: room, BotNames: botNames})
}

// dm sends line to e as a direct message.
func dm(e *Engine, room Room, line string) (Reply, bool) {
	return e.Handle(context.Background(), Request{Text: line, Room: room, Direct: true, BotNames: botNames})
}
