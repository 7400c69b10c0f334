// Package bottest provides what guidebot's integration tests and its load
// tool (cmd/guidebot-load) share, in the manner of net/http/httptest:
//
//   - Homeserver: a throwaway Dendrite on 127.0.0.1 (StartHomeserver),
//     with shared-secret registration, stop, resume and restart;
//   - Bot: the real guidebot binary (BuildGuidebot) run as a process of its
//     own from a config this package writes (NewBot), started, stopped,
//     killed with SIGKILL and started again on the same database, with its
//     /healthz, /metrics and log at hand;
//   - User: a Matrix test client (NewUser) that records what it receives
//     and reads a room's history from the server, where "exactly once" and
//     "nothing more was sent" are checked.
//
// It is a normal package, imported only by tests and the load tool; the
// runtime never imports it.
package bottest
