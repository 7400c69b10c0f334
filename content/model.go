// Package content holds guidebot's curated data set: the messengers, the network
// types, the criteria and the change log, in English and French, each fact with
// its source. The YAML files under data/ are embedded in the binary; Load reads
// the same layout from any directory so that operators can ship their own.
package content

// Lang is a language the content is written in.
type Lang string

// The languages every user-facing text must have.
const (
	EN Lang = "en"
	FR Lang = "fr"
)

// Langs lists the supported languages, in display order.
var Langs = []Lang{EN, FR}

// ParseLang returns the language for a code such as "fr" or "FR".
func ParseLang(s string) (Lang, bool) {
	switch Lang(lower(s)) {
	case EN:
		return EN, true
	case FR:
		return FR, true
	}
	return "", false
}

// Text is a user-facing text in every supported language.
//
//	summary:
//	  en: Encrypted messenger run by a non-profit.
//	  fr: Messagerie chiffrée gérée par une fondation.
type Text struct {
	EN  string `yaml:"en" desc:"English text"`
	FR  string `yaml:"fr" desc:"French text"`
	Pos Pos    `yaml:"-"`
}

// In returns the text in lang (English when lang is unknown).
func (t Text) In(lang Lang) string {
	if lang == FR {
		return t.FR
	}
	return t.EN
}

// Status is where a messenger stands in the recommendations.
type Status string

// The statuses, best first.
const (
	Recommended    Status = "recommended"     // a main recommendation
	Additional     Status = "additional"      // listed under "additional options", with a warning
	NotRecommended Status = "not-recommended" // removed from the recommendations
	// NotListed: Privacy Guides has never listed it (WhatsApp, Telegram…).
	// The card judges it by the same criteria, but it is never
	// recommended, and it has no status history: there is no step on the
	// list to tell.
	NotListed Status = "not-listed"
)

// Rank orders statuses: lower is better.
func (s Status) Rank() int {
	switch s {
	case Recommended:
		return 0
	case Additional:
		return 1
	case NotRecommended:
		return 2
	}
	return 3
}

// Picked reports whether Privacy Guides recommends a messenger with this
// status today, as a main or an additional option.
func (s Status) Picked() bool { return s == Recommended || s == Additional }

// Listed reports whether the status is a place on Privacy Guides' list,
// past or present, and so has a history.
func (s Status) Listed() bool { return s != NotListed }

// Support answers a yes/no question about a messenger, with nuance.
type Support string

// The answers a Fact may give.
const (
	Yes     Support = "yes"
	Partial Support = "partial" // yes with restrictions, told in the note
	No      Support = "no"
	NA      Support = "n/a" // the feature does not exist (e.g. calls in Briar)
	// Unknown: no source says. Shown as such, counted neither met nor
	// failed; the only value that needs no source.
	Unknown Support = "unknown"
)

// Fact is one sourced statement: a value, an optional bilingual note, and the
// URL where it can be checked.
//
//	forward_secrecy:
//	  value: no
//	  note: {en: ..., fr: ...}
//	  source: https://getsession.org/session-protocol-technical-information
type Fact struct {
	Value  Support `yaml:"value"`
	Note   *Text   `yaml:"note,omitempty"`
	Source URL     `yaml:"source,omitempty"` // required but for unknown
}

// Sourced is a bilingual text with its source.
type Sourced struct {
	Text   `yaml:",inline"`
	Source URL `yaml:"source"`
}

// Platform is an operating system (or the web) a messenger has a client for.
type Platform string

// The platforms, in display order.
const (
	Android Platform = "android"
	IOS     Platform = "ios"
	Windows Platform = "windows"
	MacOS   Platform = "macos"
	Linux   Platform = "linux"
	Web     Platform = "web"
)

// Platforms lists every platform in display order.
var Platforms = []Platform{Android, IOS, Windows, MacOS, Linux, Web}

// Identifier is what a person must give to be reachable.
type Identifier string

// The identifier kinds.
const (
	PhoneNumber Identifier = "phone"    // a phone number is needed to register
	Username    Identifier = "username" // an account name such as @user:server
	RandomID    Identifier = "random-id"
	NoID        Identifier = "none" // no identifier at all (links or QR codes)
)

// Messenger is one messenger's card. One YAML file per messenger under
// data/messengers/, named after its id.
type Messenger struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Aliases  []string `yaml:"aliases"`
	Reviewed Date     `yaml:"reviewed"`

	Status Status `yaml:"status"`
	// StatusHistory is oldest first and ends with Status; required for
	// every status but not-listed, which must have none.
	StatusHistory []StatusChange `yaml:"status_history,omitempty"`

	Summary  Sourced `yaml:"summary"`
	Network  Network `yaml:"network"`
	Protocol Sourced `yaml:"protocol"`

	E2EE struct {
		OneToOne Fact `yaml:"one_to_one"`
		Groups   Fact `yaml:"groups"`
		Calls    Fact `yaml:"calls"`
	} `yaml:"e2ee"`
	ForwardSecrecy   Fact `yaml:"forward_secrecy"`
	FutureSecrecy    Fact `yaml:"future_secrecy"`
	OpenSourceServer Fact `yaml:"open_source_server"` // n/a when there is no server
	Offline          Fact `yaml:"offline"`            // works without internet (local mesh)
	Tor              Fact `yaml:"tor"`                // yes: built in; partial: optional

	Identifier struct {
		Kind   Identifier `yaml:"kind"`
		Text   Text       `yaml:"text"`
		Source URL        `yaml:"source"`
	} `yaml:"identifier"`

	Platforms struct {
		List   []Platform `yaml:"list"`
		Note   *Text      `yaml:"note,omitempty"`
		Source URL        `yaml:"source"`
	} `yaml:"platforms"`

	Audits   []Audit         `yaml:"audits"`
	Caveats  []Sourced       `yaml:"caveats"`
	Criteria map[string]Fact `yaml:"criteria"` // criterion id → result

	Links struct {
		Homepage URL `yaml:"homepage"`
		Privacy  URL `yaml:"privacy"`
		Source   URL `yaml:"source,omitempty"` // the apps' code; none when it is not published
		Docs     URL `yaml:"docs,omitempty"`
	} `yaml:"links"`

	Pos Pos `yaml:"-"`
}

// StatusChange is one step in a messenger's history in the recommendations.
type StatusChange struct {
	Date   Date   `yaml:"date"`
	Status Status `yaml:"status"`
	Reason Text   `yaml:"reason"`
	Source URL    `yaml:"source"`
	// Added marks the change that put the messenger on the list. Without
	// it, the oldest entry only shows the status the oldest page version
	// tracked already had, which held "at least since" that date.
	Added bool `yaml:"added,omitempty"`
}

// Network says how a messenger's network is built. Types refers to ids in
// networks.yaml; it may be empty for designs of their own (SimpleX relays).
type Network struct {
	Types         []string `yaml:"types"`
	Decentralized Support  `yaml:"decentralized"` // partial: a design of its own, told in text
	Text          Text     `yaml:"text"`
	Source        URL      `yaml:"source"`
}

// Audit is one published review of a messenger's code, protocol or design.
type Audit struct {
	Kind   AuditKind `yaml:"kind"`
	By     string    `yaml:"by"`
	Year   int       `yaml:"year"`
	Scope  Text      `yaml:"scope"`
	Source URL       `yaml:"source"`
}

// AuditKind says what a published review is.
type AuditKind string

// The kinds of review; only KindAudit counts as an audit.
const (
	KindAudit    AuditKind = "audit"    // an independent security audit of the apps or the service
	KindAnalysis AuditKind = "analysis" // an academic or formal analysis of the protocol's design
	KindFindings AuditKind = "findings" // researchers' published findings, not an audit
)

// CodeAudits returns the reviews that are audits.
func (m *Messenger) CodeAudits() []Audit {
	var out []Audit
	for _, a := range m.Audits {
		if a.Kind == KindAudit {
			out = append(out, a)
		}
	}
	return out
}

// NetworkType is one of the types of communication networks (networks.yaml).
type NetworkType struct {
	ID            string   `yaml:"id"`
	Name          Text     `yaml:"name"`
	Aliases       []string `yaml:"aliases"`
	Description   Text     `yaml:"description"`
	Advantages    []Text   `yaml:"advantages"`
	Disadvantages []Text   `yaml:"disadvantages"`
	Source        URL      `yaml:"source"`
}

// Criteria is criteria.yaml: the requirements a messenger must meet to be
// recommended, and the best case.
type Criteria struct {
	Version  Date        `yaml:"version"` // when this set of criteria took effect
	Source   URL         `yaml:"source"`
	Minimum  []Criterion `yaml:"minimum"`
	BestCase []Criterion `yaml:"best_case"`
}

// Criterion is one requirement.
type Criterion struct {
	ID   string `yaml:"id"`
	Text Text   `yaml:"text"`
}

// Change is one entry of the change log (changes.yaml). IDs are stable: they
// are what announcement progress is recorded against.
type Change struct {
	ID         string   `yaml:"id"`
	Date       Date     `yaml:"date"`
	Messengers []string `yaml:"messengers"`
	Text       Text     `yaml:"text"`
	Source     URL      `yaml:"source"`
}
