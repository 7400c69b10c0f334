package bot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"maunium.net/go/mautrix"
)

// isTransient reports whether err is worth retrying later: the homeserver
// was unreachable, overloaded or rate limiting, or shutdown cut the request.
// Anything else (forbidden, unknown room, an encryption bug) is permanent:
// retrying it would only loop.
func isTransient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, mautrix.MLimitExceeded) {
		return true
	}
	var httpErr mautrix.HTTPError
	if errors.As(err, &httpErr) {
		if httpErr.Response == nil {
			return true // no answer at all
		}
		return httpErr.Response.StatusCode >= 500 || httpErr.Response.StatusCode == http.StatusTooManyRequests
	}
	var urlErr *url.Error
	var netErr net.Error
	return errors.As(err, &urlErr) || errors.As(err, &netErr)
}

// retryAfter is how long the homeserver asked us to wait before trying
// again: the Retry-After header (seconds or an HTTP date) or the body's
// retry_after_ms (Synapse and Dendrite send one or both with a 429).
// ok is false when it asked nothing.
func retryAfter(err error, now time.Time) (time.Duration, bool) {
	var httpErr mautrix.HTTPError
	if !errors.As(err, &httpErr) {
		return 0, false
	}
	if httpErr.Response != nil {
		if h := httpErr.Response.Header.Get("Retry-After"); h != "" {
			if s, err := strconv.Atoi(h); err == nil && s >= 0 {
				return time.Duration(s) * time.Second, true
			}
			if t, err := http.ParseTime(h); err == nil {
				return max(t.Sub(now), 0), true
			}
		}
	}
	if httpErr.RespError != nil {
		if ms, ok := httpErr.RespError.ExtraData["retry_after_ms"].(float64); ok && ms >= 0 {
			return time.Duration(ms) * time.Millisecond, true
		}
	}
	return 0, false
}

// failureReason is a short, secret-free description of err for /healthz
// and the logs' "reason" field.
func failureReason(err error) string {
	var httpErr mautrix.HTTPError
	switch {
	case errors.As(err, &httpErr) && httpErr.RespError != nil && httpErr.RespError.ErrCode != "":
		return httpErr.RespError.ErrCode
	case errors.As(err, &httpErr) && httpErr.Response != nil:
		return httpErr.Response.Status
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case isTransient(err):
		return "homeserver unreachable"
	}
	return "error"
}
