package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// retry runs f until it succeeds, for errors a busy homeserver gives
// (rate limits, 5xx, network), with a doubling pause; at most 8 tries.
func retry(ctx context.Context, what string, f func() error) error {
	wait := 250 * time.Millisecond
	var err error
	for range 8 {
		if err = f(); err == nil || !transient(err) {
			return err
		}
		var httpErr mautrix.HTTPError
		if errors.As(err, &httpErr) && httpErr.RespError != nil {
			if ms, ok := httpErr.RespError.ExtraData["retry_after_ms"].(float64); ok && ms > 0 {
				wait = time.Duration(ms) * time.Millisecond
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func transient(err error) bool {
	if errors.Is(err, mautrix.MLimitExceeded) {
		return true
	}
	var httpErr mautrix.HTTPError
	if errors.As(err, &httpErr) {
		return httpErr.Response == nil || httpErr.Response.StatusCode >= 500 || httpErr.Response.StatusCode == http.StatusTooManyRequests
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// createRoom makes a public room (so senders can join without an invite)
// inviting invite; encrypted rooms get m.room.encryption from the start.
func createRoom(ctx context.Context, p *peer, encrypted bool, invite ...id.UserID) (id.RoomID, error) {
	req := &mautrix.ReqCreateRoom{Preset: "public_chat", Invite: invite}
	if encrypted {
		req.InitialState = []*event.Event{{
			Type:    event.StateEncryption,
			Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}},
		}}
	}
	var room id.RoomID
	err := retry(ctx, "creating a room", func() error {
		resp, err := p.cli.CreateRoom(ctx, req)
		if err == nil {
			room = resp.RoomID
		}
		return err
	})
	return room, err
}

func joinRoom(ctx context.Context, p *peer, room id.RoomID) error {
	return retry(ctx, "joining "+room.String(), func() error {
		_, err := p.cli.JoinRoomByID(ctx, room)
		return err
	})
}

// loadRoomState fills a peer's state store with a room's state (members,
// encryption) without syncing: senders never sync, so that hundreds of
// them do not load the homeserver, yet must encrypt for the right devices.
func loadRoomState(ctx context.Context, p *peer, room id.RoomID) error {
	return retry(ctx, "loading the state of "+room.String(), func() error {
		_, err := p.cli.State(ctx, room)
		return err
	})
}

// waitMember waits until observer's state store shows user joined in room,
// asking the server after a few seconds (Dendrite now and then leaves an
// event out of a sync under load).
func waitMember(ctx context.Context, observer *peer, room id.RoomID, user id.UserID, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	refetch := time.Now().Add(5 * time.Second)
	for {
		if m, _ := observer.cli.StateStore.TryGetMember(ctx, room, user); m != nil && m.Membership == event.MembershipJoin {
			return nil
		}
		if time.Now().After(refetch) {
			refetch = time.Now().Add(5 * time.Second)
			var mem event.MemberEventContent
			if err := observer.cli.StateEvent(ctx, room, event.StateMember, user.String(), &mem); err == nil && mem.Membership == event.MembershipJoin {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not join %s within %s", user, room, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// parallel runs f(0..n-1) on at most width goroutines and returns the
// first error.
func parallel(ctx context.Context, n, width int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
	)
	for range min(width, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}
