package share

import (
	"path"
	"time"
)

// SweepTemps removes the temporary files and folders ("*.tmp-*") in dir
// that were last written more than olderThan ago: what crashed writers
// left, since WriteFileAtomic does not look for them. A writer still busy
// keeps writing, so a generous olderThan (an hour) spares it. It returns
// how many it removed and the first error.
func SweepTemps(fsys FS, dir string, olderThan time.Duration) (int, error) {
	list, err := fsys.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	var first error
	for _, fi := range list {
		if !IsTemp(fi.Name()) || fi.ModTime().After(cutoff) {
			continue
		}
		if err := fsys.RemoveAll(path.Join(dir, fi.Name())); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		removed++
	}
	return removed, first
}
