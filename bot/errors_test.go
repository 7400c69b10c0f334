package bot

import (
	"net/http"
	"testing"
	"time"

	"maunium.net/go/mautrix"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	withHeader := func(h string) error {
		resp := &http.Response{StatusCode: http.StatusTooManyRequests, Status: "429 Too Many Requests", Header: http.Header{}}
		if h != "" {
			resp.Header.Set("Retry-After", h)
		}
		return mautrix.HTTPError{Response: resp}
	}
	withBody := func(ms any) error {
		return mautrix.HTTPError{
			Response:  &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}},
			RespError: &mautrix.RespError{ErrCode: "M_LIMIT_EXCEEDED", ExtraData: map[string]any{"retry_after_ms": ms}},
		}
	}
	tests := []struct {
		name  string
		err   error
		want  time.Duration
		asked bool
	}{
		{"seconds in the header", withHeader("3"), 3 * time.Second, true},
		{"a date in the header", withHeader(now.Add(90 * time.Second).Format(http.TimeFormat)), 90 * time.Second, true},
		{"a date in the past", withHeader(now.Add(-time.Minute).Format(http.TimeFormat)), 0, true},
		{"retry_after_ms in the body", withBody(float64(1500)), 1500 * time.Millisecond, true},
		{"retry_after_ms of the wrong type", withBody("soon"), 0, false},
		{"nothing asked", withHeader(""), 0, false},
		{"not an HTTP error", errShuttingDown, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, asked := retryAfter(tc.err, now)
			if got != tc.want || asked != tc.asked {
				t.Errorf("retryAfter = %v, %v; want %v, %v", got, asked, tc.want, tc.asked)
			}
		})
	}
}

func TestTxnIDStableAndDistinct(t *testing.T) {
	a := txnID("answer", "$cmd")
	if a != txnID("answer", "$cmd") {
		t.Error("the same work got two transaction IDs")
	}
	for _, other := range []string{txnID("edit", "$cmd"), txnID("answer", "$cmd2"), txnID("answer\x00", "$cmd")} {
		if other == a {
			t.Errorf("different work shares the transaction ID %s", a)
		}
	}
}
