package commands

import (
	"strconv"
	"time"

	"github.com/guidebot/guidebot/content"
)

// months are the month names, January first, in each language.
var months = [2][12]string{
	{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
}

// date writes a day the way people write it: "16 May 2025", "16 mai 2025"
// ("1er mai 2025" in French). The data keeps ISO dates.
func date(lang content.Lang, t time.Time) string {
	l := 0
	if lang == content.FR {
		l = 1
	}
	day := strconv.Itoa(t.Day())
	if l == 1 && t.Day() == 1 {
		day = "1er"
	}
	return day + " " + months[l][t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// date writes a day for people in the answer's language.
func (o *out) date(t time.Time) { o.text(date(o.lang, t)) }
