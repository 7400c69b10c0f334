package content

import (
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/guidebot/guidebot/content/yamlfile"
)

// The files of a content directory.
const (
	networksFile  = "networks.yaml"
	criteriaFile  = "criteria.yaml"
	changesFile   = "changes.yaml"
	messengersDir = "messengers"
)

// maxFileSize bounds what one file may hold; the real files are a few KiB,
// and an operator's directory should not be able to exhaust memory.
const maxFileSize = 1 << 20

// Load reads and validates a content directory: networks.yaml,
// criteria.yaml, changes.yaml and messengers/<id>.yaml. On any problem it
// returns a nil Set and every problem found, as Problems.
func Load(fsys fs.FS) (set *Set, err error) {
	l := &loader{fsys: fsys}
	// The YAML parser is third-party code fed by operators; a panic in it
	// must become a problem, not take the bot down on reload.
	defer func() {
		if r := recover(); r != nil {
			set = nil
			l.probs = append(l.probs, Pos{File: l.current}.Problemf("internal error while loading: %v", r))
			l.probs.Sort()
			err = l.probs
		}
	}()
	set = l.load()
	if len(l.probs) > 0 {
		l.probs.Sort()
		return nil, l.probs
	}
	set.index()
	return set, nil
}

type loader struct {
	fsys    fs.FS
	probs   Problems
	current string // the file being read, for a recovered panic
}

// file is one decoded YAML file and where its values are.
type file struct {
	*yamlfile.Doc
	name string
}

// read parses name into v. It returns nil if the file could not be parsed at
// all; field-level problems are recorded and the file is still returned.
func (l *loader) read(name string, v any) *file {
	l.current = name
	// Stat before opening: opening a FIFO waits for a writer, forever, and
	// a device need not end; neither is content.
	st, err := fs.Stat(l.fsys, name)
	if err != nil {
		l.unreadable(name, err, "missing file")
		return nil
	}
	if !st.Mode().IsRegular() {
		l.add(Pos{File: name}, "not a regular file")
		return nil
	}
	f, err := l.fsys.Open(name)
	if err != nil {
		l.unreadable(name, err, "missing file")
		return nil
	}
	defer f.Close()
	// The file may have been swapped since the Stat above.
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		l.add(Pos{File: name}, "not a regular file")
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		l.add(Pos{File: name}, "cannot read: %s", errText(err))
		return nil
	}
	if len(data) > maxFileSize {
		l.add(Pos{File: name}, "file larger than %d bytes", maxFileSize)
		return nil
	}
	doc, probs := yamlfile.DecodeDoc(name, data, v)
	l.probs = append(l.probs, probs...)
	if doc == nil {
		return nil
	}
	return &file{Doc: doc, name: name}
}

// The top-level shapes of the list files: a mapping with one key leaves room
// to add fields later without breaking old files.
type networksDoc struct {
	Networks []*NetworkType `yaml:"networks"`
}

type changesDoc struct {
	Changes []*Change `yaml:"changes"`
}

// readDir lists the directory name, refusing anything else before opening it:
// listing a FIFO would open it, and wait for a writer.
func (l *loader) readDir(name string) ([]fs.DirEntry, bool) {
	st, err := fs.Stat(l.fsys, name)
	if err == nil && !st.IsDir() {
		l.add(Pos{File: name}, "not a directory")
		return nil, false
	}
	var entries []fs.DirEntry
	if err == nil {
		entries, err = fs.ReadDir(l.fsys, name)
	}
	if err != nil {
		l.unreadable(name, err, "missing directory")
		return nil, false
	}
	return entries, true
}

func (l *loader) load() *Set {
	set := &Set{}

	// A misnamed file (network.yaml) would otherwise be silently ignored
	// while the expected one is reported missing; name it too.
	if root, err := fs.ReadDir(l.fsys, "."); err == nil {
		for _, e := range root {
			n := e.Name()
			if !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) &&
				n != networksFile && n != criteriaFile && n != changesFile {
				l.add(Pos{File: n}, "unexpected file: the content directory holds %s, %s, %s and %s/", networksFile, criteriaFile, changesFile, messengersDir)
			}
		}
	}

	var nets networksDoc
	nf := l.read(networksFile, &nets)
	var crit Criteria
	cf := l.read(criteriaFile, &crit)
	var chs changesDoc
	chf := l.read(changesFile, &chs)

	type mfile struct {
		m *Messenger
		f *file
	}
	var ms []mfile
	// Ids of messenger files that could not be parsed at all: the change
	// log may still name them, and saying so again would only add noise.
	var unparsed []string
	entries, dirOK := l.readDir(messengersDir)
	for _, e := range entries {
		name := path.Join(messengersDir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
			// Editor and OS droppings (.DS_Store, .swp) are not content.
		case !strings.HasSuffix(e.Name(), ".yaml"):
			l.add(Pos{File: name}, "unexpected file: messengers/ holds only <id>.yaml files")
		default:
			// Whatever is named <id>.yaml is meant as a card: read refuses
			// a directory or FIFO there as not a regular file.
			m := &Messenger{}
			if f := l.read(name, m); f != nil {
				ms = append(ms, mfile{m, f})
			} else {
				unparsed = append(unparsed, strings.TrimSuffix(e.Name(), ".yaml"))
			}
		}
	}
	if dirOK && len(ms) == 0 && !slices.ContainsFunc(l.probs, func(p Problem) bool { return strings.HasPrefix(p.File, messengersDir+"/") }) {
		l.add(Pos{File: messengersDir}, "no messenger files")
	}
	l.current = ""

	// Cross-file checks need the ids of each kind; collect them even from
	// files with problems so that one typo does not cascade.
	netIDs := map[string]bool{}
	if nf != nil {
		l.checkNetworks(nf, nets.Networks, netIDs)
		set.Networks = nets.Networks
	}
	critIDs := map[string]bool{}
	if cf != nil {
		l.checkCriteria(cf, &crit, critIDs)
		set.Criteria = crit
	}
	// Only check references against lists that were read whole; a broken
	// networks.yaml would otherwise make every reference look dangling.
	netsOK := nf != nil && nf.Decoded("networks")
	critOK := cf != nil && cf.Decoded("minimum") && cf.Decoded("best_case")
	r := &refs{netIDs: netIDs, netsOK: netsOK, crit: set.Criteria, critOK: critOK, names: map[string]nameOwner{}}
	msgIDs := map[string]bool{}
	for _, mf := range ms {
		l.checkMessenger(mf.f, mf.m, r)
		msgIDs[mf.m.ID] = true
		set.Messengers = append(set.Messengers, mf.m)
	}
	for _, id := range unparsed {
		msgIDs[id] = true
	}
	if chf != nil {
		l.checkChanges(chf, chs.Changes, msgIDs, len(msgIDs) > 0)
		set.Changes = chs.Changes
	}
	return set
}
