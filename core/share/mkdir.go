package share

import (
	"errors"
	"io/fs"
)

// Mkdirer is an FS that can create one folder whose parent exists in a
// single step. Over SMB that is one create request and its close, where
// MkdirAll first asks for the folder and for each parent (a create, a
// query and a close each): a site's 256 instruction shards took ~8
// requests each.
type Mkdirer interface {
	// Mkdir creates name; it fails wrapping fs.ErrExist when name exists
	// and fs.ErrNotExist when its parent does not.
	Mkdir(name string) error
}

// MakeFolder creates the folder name, whose parent exists, the short way
// when fsys can (Mkdirer), and otherwise, or when name exists already,
// with MkdirAll: a folder there is fine, and a file there is an error.
func MakeFolder(fsys FS, name string) error {
	if m, ok := fsys.(Mkdirer); ok {
		err := m.Mkdir(name)
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return fsys.MkdirAll(name)
}
