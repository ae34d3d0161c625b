package client

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// checkPrivate refuses a folder other users can write: whoever can write
// the package cache can put a script there that the engine would run with
// its own rights (root, for the agent).
func checkPrivate(what, dir string) error {
	if runtime.GOOS == "windows" {
		return nil // ACLs, not mode bits; the installer makes the folder
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("checking the %s %s: %w", what, dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("the %s %s is not a folder", what, dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("the %s %s can be changed by other users (mode %#o), who could plant what this computer runs: run chmod go-w %s, or give a folder only this user can write",
			what, dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// treeEntry is one file, folder or link of an unpacked package.
type treeEntry struct {
	Path   string `json:"path"` // slash-separated, relative to the root
	Kind   string `json:"kind"` // "d", "f" or "l"
	Mode   uint32 `json:"mode,omitempty"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Link   string `json:"link,omitempty"`
}

// listTree lists root as it is now: every entry in lexical order, with a
// digest of each file's content.
func listTree(root string) ([]treeEntry, error) {
	var out []treeEntry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := treeEntry{Path: filepath.ToSlash(rel), Mode: uint32(fi.Mode().Perm())}
		switch {
		case d.IsDir():
			e.Kind = "d"
		case d.Type()&fs.ModeSymlink != 0:
			e.Kind = "l"
			if e.Link, err = os.Readlink(p); err != nil {
				return err
			}
		case d.Type().IsRegular():
			e.Kind, e.Size = "f", fi.Size()
			if e.SHA256, err = fileSHA256(p); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s is neither a file, a folder nor a link", e.Path)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// signedMarker is the .ok file beside an unpacked package: what was
// unpacked (unpacked, with the tree's file list), signed with this
// computer's key, so that a marker written by anyone else does not count.
type signedMarker struct {
	Body      json.RawMessage `json:"body"`
	Signature []byte          `json:"signature"`
}

// writeMarker writes the signed marker of an unpacked tree.
func writeMarker(path string, key ed25519.PrivateKey, u unpacked) error {
	body, err := json.Marshal(u)
	if err != nil {
		return err
	}
	b, err := json.Marshal(signedMarker{Body: body, Signature: ed25519.Sign(key, body)})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// checkUnpacked reports whether root is, file for file, what this computer
// unpacked from the verified archive: the marker must be signed with its
// key, name the archive, and list the tree as it is now.
func checkUnpacked(root, marker, archive string, pub ed25519.PublicKey) error {
	data, err := os.ReadFile(marker)
	if err != nil {
		return err
	}
	var m signedMarker
	if err := json.Unmarshal(data, &m); err != nil || !ed25519.Verify(pub, m.Body, m.Signature) {
		return errors.New("its marker was not written by this computer")
	}
	var u unpacked
	if err := json.Unmarshal(m.Body, &u); err != nil || u.Archive != archive {
		return errors.New("its marker is for another archive")
	}
	now, err := listTree(root)
	if err != nil {
		return err
	}
	if !slices.Equal(now, u.Files) {
		for i, e := range now {
			if i >= len(u.Files) || e != u.Files[i] {
				return fmt.Errorf("%s differs from what was unpacked", e.Path)
			}
		}
		return errors.New("files unpacked are missing")
	}
	return nil
}
