package content

import (
	"embed"
	"io/fs"
	"sync"
)

//go:embed data
var embedded embed.FS

var builtin struct {
	once sync.Once
	set  *Set
}

// Builtin returns the content embedded in the binary, loaded once. It panics
// if that content is invalid, which TestBuiltin rules out before a release.
func Builtin() *Set {
	builtin.once.Do(func() {
		s, err := loadEmbedded()
		if err != nil {
			panic("content: the built-in data is invalid:\n" + err.Error())
		}
		builtin.set = s
	})
	return builtin.set
}

func loadEmbedded() (*Set, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	return Load(sub)
}
