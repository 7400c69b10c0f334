package yamlfile

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Enum is a string type that accepts only the values Values lists (in the
// order messages show them).
type Enum interface {
	Values() []string
}

// Scalar is implemented (on the pointer) by a type that parses its own
// scalar. s is the value with surrounding space trimmed, at is where it
// starts; an error becomes a problem at that position.
type Scalar interface {
	DecodeYAMLScalar(s string, at Pos) error
}

// SafeMessage is a Scalar's error whose text quotes nothing from the file,
// so it is shown as is even where values are secret.
type SafeMessage string

func (m SafeMessage) Error() string { return string(m) }

// Date is a calendar day, written 2006-01-02 in YAML, with where it was read.
type Date struct {
	time.Time
	Pos Pos
}

// String formats the date as 2006-01-02.
func (d Date) String() string { return d.Format(time.DateOnly) }

// DecodeYAMLScalar parses a YYYY-MM-DD date.
func (d *Date) DecodeYAMLScalar(s string, at Pos) error {
	t, err := time.Parse(time.DateOnly, s)
	// Parse alone would accept some sloppy forms; insist on YYYY-MM-DD.
	if err != nil || t.Format(time.DateOnly) != s {
		return fmt.Errorf("expected a date written YYYY-MM-DD, found %q", truncate(s, 40))
	}
	*d = Date{Time: t, Pos: at}
	return nil
}

// URL is an absolute http(s) URL with a host.
type URL string

// DecodeYAMLScalar checks that s is an absolute http(s) URL.
func (u *URL) DecodeYAMLScalar(s string, _ Pos) error {
	if msg := CheckURL(s); msg != "" {
		return errors.New(msg)
	}
	*u = URL(s)
	return nil
}

// CheckURL returns why s is not an absolute http(s) URL with a host, or "".
func CheckURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || strings.ContainsAny(s, " \t\n"):
		return fmt.Sprintf("%q is not a valid URL", truncate(s, 60))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q is not an absolute http(s) URL", truncate(s, 60))
	case u.Host == "" || u.Hostname() == "" || u.User != nil:
		return fmt.Sprintf("%q has no valid host", truncate(s, 60))
	}
	return ""
}
