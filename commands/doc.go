// Package commands turns one line of text plus a room context into a reply, in
// plain text and HTML, in the room's language. It is pure: no network and no
// Matrix types, so the console, the tests and the Matrix bot share it.
package commands
