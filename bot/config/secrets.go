package config

import (
	"errors"
	"net/url"
	"sort"
	"strings"
)

// redacted stands in for a password wherever a URI is shown.
const redacted = "xxxxx"

// checkPostgresURI says what is wrong with a PostgreSQL connection string,
// or "" when it parses. The message never quotes the URI: its password is
// usually what breaks it.
func checkPostgresURI(uri string) string {
	const encode = "; in the user name and password write % # / ? @ : as %25 %23 %2F %3F %40 %3A (the value is not shown)"
	if strings.HasPrefix(uri, "postgres://") || strings.HasPrefix(uri, "postgresql://") {
		u, err := url.Parse(uri)
		switch {
		case err != nil:
			return "not a valid URL" + encode
		case strings.Contains(uri, "#"):
			return "holds a #, which ends a URL" + encode
		case strings.Contains(u.Path, "@") || strings.Contains(u.Path, ":"):
			return "the host is not where it should be" + encode
		}
		return ""
	}
	if _, ok := parseKeyValues(uri); ok {
		return ""
	}
	return "must be a postgres:// URL or a key=value connection string such as \"host=db user=guidebot dbname=guidebot\" (the value is not shown)"
}

// RedactedURI is the database URI with every password replaced by xxxxx,
// fit for logs. A URI that does not parse is not shown at all.
func (d DatabaseConfig) RedactedURI() string {
	uri := d.URI
	if strings.Contains(uri, "://") {
		u, err := url.Parse(uri)
		if err != nil || (d.Type == "postgres" && checkPostgresURI(uri) != "") {
			return "(the URI does not parse; not shown)"
		}
		q := u.Query()
		for k := range q {
			if isPasswordKey(k) {
				q.Set(k, redacted)
			}
		}
		u.RawQuery = q.Encode()
		u.Fragment, u.RawFragment = "", ""
		return u.Redacted()
	}
	if d.Type == "sqlite3" && !strings.Contains(uri, "=") {
		return uri // a file path
	}
	kvs, ok := parseKeyValues(uri)
	if !ok {
		return "(the connection string does not parse; not shown)"
	}
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		if isPasswordKey(kv[0]) {
			kv[1] = redacted
		}
		parts[i] = kv[0] + "=" + kv[1]
	}
	return strings.Join(parts, " ")
}

// Describe names the database for logs and errors, without its password,
// e.g. "postgres database postgres://guidebot:xxxxx@db.example.org/guidebot".
func (d DatabaseConfig) Describe() string {
	return d.Type + " database " + d.RedactedURI()
}

// secrets lists every string of the URI that must not be shown: the URI
// itself, and each password in it, raw and decoded.
func (d DatabaseConfig) secrets() []string {
	uri := d.URI
	list := []string{uri}
	if scheme := strings.Index(uri, "://"); scheme >= 0 {
		rest := uri[scheme+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			userinfo := rest[:at]
			list = append(list, userinfo)
			if _, pw, ok := strings.Cut(userinfo, ":"); ok {
				list = append(list, pw)
				if dec, err := url.PathUnescape(pw); err == nil {
					list = append(list, dec)
				}
			}
		}
		if u, err := url.Parse(uri); err == nil {
			if pw, ok := u.User.Password(); ok {
				list = append(list, pw)
			}
			for k, vs := range u.Query() {
				if isPasswordKey(k) {
					list = append(list, vs...)
				}
			}
		}
	} else if kvs, ok := parseKeyValues(uri); ok {
		for _, kv := range kvs {
			if isPasswordKey(kv[0]) {
				list = append(list, kv[1])
			}
		}
	}
	// longest first, so that a password inside the URI is not replaced
	// before the URI itself
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	return list
}

// DatabaseError is an error from opening or using the database, with its
// message scrubbed of the URI and its passwords. errors.Is sees the
// original error; nothing else can reach it, so nothing can print it.
type DatabaseError struct {
	msg string
	err error
}

func (e *DatabaseError) Error() string { return e.msg }

// Is reports whether the original error is target, as errors.Is would.
func (e *DatabaseError) Is(target error) bool { return errors.Is(e.err, target) }

// WrapError returns err as a *DatabaseError naming the database (see
// Describe) and never holding its URI or password; nil stays nil. When the
// URI does not parse, the original message is dropped entirely: a parse
// error may quote any part of it.
func (d DatabaseConfig) WrapError(err error) error {
	if err == nil {
		return nil
	}
	var de *DatabaseError
	if errors.As(err, &de) {
		return err
	}
	msg := err.Error()
	if d.Type == "postgres" && checkPostgresURI(d.URI) != "" {
		msg = "the connection string does not parse (not shown)"
	}
	for _, s := range d.secrets() {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, redacted)
		}
	}
	return &DatabaseError{msg: d.Describe() + ": " + msg, err: err}
}

func isPasswordKey(k string) bool {
	return strings.Contains(strings.ToLower(k), "pass")
}

// parseKeyValues splits a libpq key=value connection string into its
// pairs, values unquoted ('...' with \' and \\ escapes).
func parseKeyValues(s string) ([][2]string, bool) {
	var kvs [][2]string
	s = strings.TrimSpace(s)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		key := strings.TrimSpace(s[:eq])
		if key == "" || strings.ContainsAny(key, " \t\n'\\") {
			return nil, false
		}
		s = strings.TrimLeft(s[eq+1:], " \t\n")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			i, closed := 1, false
			for ; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					val.WriteByte(s[i])
					continue
				}
				if s[i] == '\'' {
					closed = true
					break
				}
				val.WriteByte(s[i])
			}
			if !closed {
				return nil, false
			}
			s = s[i+1:]
		} else {
			end := strings.IndexAny(s, " \t\n")
			if end < 0 {
				end = len(s)
			}
			val.WriteString(s[:end])
			s = s[end:]
		}
		kvs = append(kvs, [2]string{key, val.String()})
		s = strings.TrimLeft(s, " \t\n")
	}
	return kvs, len(kvs) > 0
}
