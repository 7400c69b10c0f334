package bot

import (
	"context"
	"fmt"
	"sync"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// sqlSyncStore keeps the filter ID and sync token in bot_state when
// encryption is off; with encryption the crypto store already does.
// Without it, a restart would start from an empty token and replay the last
// 50 events of every room.
type sqlSyncStore struct{ state stateTable }

var _ mautrix.SyncStore = sqlSyncStore{}

func (s sqlSyncStore) SaveFilterID(ctx context.Context, userID id.UserID, filterID string) error {
	return s.state.put(ctx, "sync.filter_id:"+userID.String(), filterID)
}

func (s sqlSyncStore) LoadFilterID(ctx context.Context, userID id.UserID) (string, error) {
	return s.state.get(ctx, "sync.filter_id:"+userID.String())
}

func (s sqlSyncStore) SaveNextBatch(ctx context.Context, userID id.UserID, token string) error {
	return s.state.put(ctx, "sync.next_batch:"+userID.String(), token)
}

func (s sqlSyncStore) LoadNextBatch(ctx context.Context, userID id.UserID) (string, error) {
	return s.state.get(ctx, "sync.next_batch:"+userID.String())
}

// deferredSyncStore holds back the token mautrix saves *before* it
// processes a sync response, and writes it only once the response has been
// handled and every command in it answered (see syncer.ProcessResponse).
// A crash in between then fetches the batch again instead of losing it;
// the answered_event table keeps that from answering anything twice.
type deferredSyncStore struct {
	mautrix.SyncStore
	mu      sync.Mutex
	userID  id.UserID
	pending string
}

func (s *deferredSyncStore) SaveNextBatch(_ context.Context, userID id.UserID, token string) error {
	s.mu.Lock()
	s.userID, s.pending = userID, token
	s.mu.Unlock()
	return nil
}

// commit writes the held-back token.
func (s *deferredSyncStore) commit(ctx context.Context) error {
	s.mu.Lock()
	userID, token := s.userID, s.pending
	s.pending = ""
	s.mu.Unlock()
	if token == "" {
		return nil
	}
	if err := s.SyncStore.SaveNextBatch(ctx, userID, token); err != nil {
		return fmt.Errorf("saving sync token: %w", err)
	}
	return nil
}

// drop forgets the held-back token so that the next sync starts again from
// the last committed one.
func (s *deferredSyncStore) drop() {
	s.mu.Lock()
	s.pending = ""
	s.mu.Unlock()
}
