package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// digests is every file under dir with a digest of its content, the lock
// file aside.
func digests(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "opensms.lock" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %x\n", rel, sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDamagedStoreIsASentence is finding 4 of issue 14 through smsctl: a
// copy of a real site store without its MANIFEST (or with it cut, or its
// KEYREGISTRY gone) is refused with one sentence and exit 1, and every
// file stays as it was. Before, site list printed nothing and exited 0
// while Badger deleted the table files, or a Go panic exited 2.
func TestDamagedStoreIsASentence(t *testing.T) {
	c, _ := fixture(t)
	for _, tc := range []struct {
		name   string
		damage func(dir string) error
	}{
		{"no MANIFEST", func(dir string) error { return os.Remove(filepath.Join(dir, "MANIFEST")) }},
		{"MANIFEST header only", func(dir string) error { return os.Truncate(filepath.Join(dir, "MANIFEST"), 8) }},
		{"no KEYREGISTRY", func(dir string) error { return os.Remove(filepath.Join(dir, "KEYREGISTRY")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := &cli{t: t, data: filepath.Join(t.TempDir(), "copy")}
			if out, err := exec.Command("cp", "-a", c.data, cp.data).CombinedOutput(); err != nil {
				t.Fatalf("copying the store: %v %s", err, out)
			}
			if err := tc.damage(cp.data); err != nil {
				t.Fatal(err)
			}
			before := digests(t, cp.data)
			r := cp.run("site", "list")
			if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
				!strings.HasPrefix(r.stderr, "smsctl: the store at "+cp.data+" is damaged: ") {
				t.Errorf("want exit 1 and one sentence, got %s", r)
			}
			if after := digests(t, cp.data); after != before {
				t.Errorf("files changed:\nbefore\n%safter\n%s", before, after)
			}
		})
	}
}
