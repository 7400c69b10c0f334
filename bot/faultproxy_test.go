package bot

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// ---- a fault-injecting reverse proxy in front of the homeserver ----

// fault is what the proxy does with one request.
type fault int

const (
	faultNone         fault = iota
	fault429Header          // 429 M_LIMIT_EXCEEDED with a Retry-After header, nothing in the body
	fault429Body            // 429 M_LIMIT_EXCEEDED with retry_after_ms in the body, no header
	fault429Both            // 429 M_LIMIT_EXCEEDED with both (as Synapse sends it)
	fault502                // 502 from the proxy: the homeserver never sees the request
	fault502Lost            // forwarded and handled, then the response is replaced by a 502
	faultHold               // held until released or the client goes away (then never forwarded)
	faultHoldResponse       // forwarded, its response held until released or the client goes away
)

func (f fault) String() string {
	return [...]string{"none", "429+Retry-After", "429+retry_after_ms", "429+both", "502", "502 after forwarding", "hold", "hold the response"}[f]
}

// faultProxy is an httputil.ReverseProxy on 127.0.0.1 between one client
// (the bot) and the test homeserver. decide picks a fault for the nth
// request (n counts from 1); a request that was already faulted
// maxPerRequest times (same method and URL: mautrix retries reuse the
// transaction ID, a sync retry its since token) always goes through, so a
// client that retries enough never gives up.
type faultProxy struct {
	URL string

	decide        func(n int64, r *http.Request) fault
	maxPerRequest int

	srv     *httptest.Server
	rp      *httputil.ReverseProxy
	n       atomic.Int64
	closing chan struct{}

	mu      sync.Mutex
	counts  map[fault]int
	byRoute map[string]int // "fault route" → count, for the log
	perReq  map[string]int
	tokens  map[string]bool // access tokens seen, for the log audit
	held    chan heldRequest
	dropped []heldRequest // held requests whose client went away: never forwarded
}

// heldRequest is a request held by faultHold or faultHoldResponse.
type heldRequest struct {
	Method, Path string
	Forwarded    bool // the homeserver has handled it (faultHoldResponse)
	Status       int  // and answered this
	release      chan struct{}
}

func newFaultProxy(t testing.TB, upstream string) *faultProxy {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{
		maxPerRequest: 2,
		closing:       make(chan struct{}),
		counts:        map[fault]int{},
		byRoute:       map[string]int{},
		perReq:        map[string]int{},
		tokens:        map[string]bool{},
		held:          make(chan heldRequest, 16),
	}
	p.rp = httputil.NewSingleHostReverseProxy(target)
	p.rp.ErrorLog = nil
	p.rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		// the homeserver is unreachable (or the client went away)
		w.WriteHeader(http.StatusBadGateway)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(func() {
		close(p.closing)
		p.srv.CloseClientConnections()
		p.srv.Close()
	})
	return p
}

// route is a request's endpoint without IDs, for counting.
func route(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.Path, "/_matrix/client/")
	parts := strings.Split(path, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, "!") || strings.HasPrefix(s, "@") || strings.HasPrefix(s, "$") {
			parts[i] = "…"
		}
	}
	// drop transaction IDs: the last segment of send and sendToDevice
	if n := len(parts); n >= 3 && (parts[n-3] == "send" || parts[n-3] == "sendToDevice") {
		parts = parts[:n-1]
	}
	return r.Method + " " + strings.Join(parts, "/")
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	n := p.n.Add(1)
	f := faultNone
	if p.decide != nil {
		f = p.decide(n, r)
	}
	key := r.Method + " " + r.URL.RequestURI()
	p.mu.Lock()
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		p.tokens[tok] = true
	}
	if f != faultNone && f != faultHold && f != faultHoldResponse && p.perReq[key] >= p.maxPerRequest {
		f = faultNone
	}
	if f != faultNone {
		p.perReq[key]++
		p.counts[f]++
		p.byRoute[f.String()+"  "+route(r)]++
	}
	p.mu.Unlock()

	switch f {
	case fault429Header:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests (injected)"}`)
	case fault429Body:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests (injected)","retry_after_ms":700}`)
	case fault429Both:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests (injected)","retry_after_ms":1000}`)
	case fault502:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	case fault502Lost:
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		w.WriteHeader(http.StatusBadGateway)
	case faultHold, faultHoldResponse:
		// Read the body first: net/http notices that the client went away
		// only once the request body has been consumed.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := heldRequest{Method: r.Method, Path: r.URL.Path, release: make(chan struct{})}
		var rec *httptest.ResponseRecorder
		if f == faultHoldResponse {
			rec = httptest.NewRecorder()
			p.rp.ServeHTTP(rec, r)
			h.Forwarded, h.Status = true, rec.Code
		}
		select {
		case p.held <- h:
		default:
		}
		select {
		case <-h.release:
			if rec == nil {
				p.rp.ServeHTTP(w, r)
				return
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		case <-r.Context().Done():
			// The client is gone (killed): the request never reaches the
			// homeserver, or its response never reaches the client.
			p.mu.Lock()
			p.dropped = append(p.dropped, h)
			p.mu.Unlock()
		case <-p.closing:
		}
	default:
		p.rp.ServeHTTP(w, r)
	}
}

// requests returns how many requests the proxy has seen.
func (p *faultProxy) requests() int64 { return p.n.Load() }

// injected returns how many times f was injected.
func (p *faultProxy) injected(f fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[f]
}

// injectedOn returns how many times f was injected into requests whose
// route contains part.
func (p *faultProxy) injectedOn(f fault, part string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, v := range p.byRoute {
		if kind, r, _ := strings.Cut(k, "  "); kind == f.String() && strings.Contains(r, part) {
			n += v
		}
	}
	return n
}

// report is a table of the injected faults per endpoint.
func (p *faultProxy) report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := make([]string, 0, len(p.byRoute))
	for k, v := range p.byRoute {
		lines = append(lines, fmt.Sprintf("  %4d  %s", v, k))
	}
	sort.Strings(lines)
	return fmt.Sprintf("%d requests; faults injected:\n%s", p.n.Load(), strings.Join(lines, "\n"))
}

// accessTokens returns the access tokens the client used.
func (p *faultProxy) accessTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for tok := range p.tokens {
		out = append(out, tok)
	}
	return out
}

func (p *faultProxy) droppedRequests() []heldRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]heldRequest(nil), p.dropped...)
}

// isAnswerSend matches the bot sending a room message (plain or encrypted).
func isAnswerSend(r *http.Request) bool {
	return r.Method == http.MethodPut &&
		(strings.Contains(r.URL.Path, "/send/m.room.message/") || strings.Contains(r.URL.Path, "/send/m.room.encrypted/"))
}
