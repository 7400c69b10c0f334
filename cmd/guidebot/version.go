package main

import (
	"fmt"
	"io"

	"github.com/guidebot/guidebot/content"
)

func versionCmd(w io.Writer) int {
	set := content.Builtin()
	fmt.Fprintf(w, "guidebot %s (commit %s)\ncontent %s, reviewed %s\n", version, commit, set.Version(), set.Reviewed())
	return 0
}
