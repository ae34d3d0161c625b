package pack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// recordingTee keeps each attempt's bytes; failAfter > 0 makes its writes
// fail once that many bytes of an attempt went through, and firstWrite
// runs before an attempt's first write.
type recordingTee struct {
	attempts   []*bytes.Buffer
	failAfter  int
	firstWrite func(attempt int)
	ended      []Stats // what End was told, and after how many attempts
	endedAfter []int
}

func (r *recordingTee) End(st Stats) {
	r.ended = append(r.ended, st)
	r.endedAfter = append(r.endedAfter, len(r.attempts))
}

func (r *recordingTee) Begin() (io.Writer, error) {
	b := &bytes.Buffer{}
	r.attempts = append(r.attempts, b)
	w := &limitedWriter{b: b, limit: r.failAfter}
	if r.firstWrite != nil {
		attempt := len(r.attempts)
		w.hook = func() { r.firstWrite(attempt) }
	}
	return w, nil
}

type limitedWriter struct {
	b     *bytes.Buffer
	limit int
	hook  func()
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.hook != nil {
		l.hook()
		l.hook = nil
	}
	if l.limit > 0 && l.b.Len()+len(p) > l.limit {
		return 0, errors.New("the server went away")
	}
	return l.b.Write(p)
}

func mixedSource(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	rng := rand.NewChaCha8([32]byte{7})
	random := make([]byte, 21<<20)
	rng.Read(random)
	writeTestFile(t, filepath.Join(src, "random.bin"), random)
	writeTestFile(t, filepath.Join(src, "text", "readme.txt"), bytes.Repeat([]byte("OpenSMS packs while it pushes. "), 400000))
	return src
}

func writeTestFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestPackFileTee: the Tee receives exactly the archive PackFile writes,
// the same bytes at every concurrency as without a Tee.
func TestPackFileTee(t *testing.T) {
	src := mixedSource(t)
	plain, _, err := PackFile(context.Background(), src, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, conc := range []int{1, 2, 3, 8} {
		tee := &recordingTee{}
		st, name, err := PackFile(context.Background(), src, t.TempDir(), Options{Concurrency: conc, Tee: tee})
		if err != nil {
			t.Fatal(err)
		}
		if st.SHA256 != plain.SHA256 {
			t.Errorf("concurrency %d with a tee: archive %s, without %s", conc, st.SHA256, plain.SHA256)
		}
		local, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(tee.attempts) != 1 || !bytes.Equal(tee.attempts[0].Bytes(), local) || sha(local) != st.SHA256 {
			t.Errorf("concurrency %d: the tee got %d attempts, not the archive's bytes", conc, len(tee.attempts))
		}
		if len(tee.ended) != 1 || tee.ended[0].SHA256 != st.SHA256 || tee.ended[0].Size != int64(len(local)) {
			t.Errorf("concurrency %d: End was told %+v, want the archive's hash and size once", conc, tee.ended)
		}
	}
}

// TestPackFileTeeFailing: a Tee that fails part way gets no more bytes
// and the pack goes on to the same archive.
func TestPackFileTeeFailing(t *testing.T) {
	src := mixedSource(t)
	tee := &recordingTee{failAfter: 12 << 20} // the second frame fails
	st, name, err := PackFile(context.Background(), src, t.TempDir(), Options{Concurrency: 2, Tee: tee})
	if err != nil {
		t.Fatalf("a failing tee failed the pack: %v", err)
	}
	local, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if sha(local) != st.SHA256 || int64(len(local)) != st.Size {
		t.Fatal("the archive on disk is not the one reported")
	}
	got := tee.attempts[0].Bytes()
	if len(got) == 0 || len(got) > 12<<20 || !bytes.HasPrefix(local, got) {
		t.Errorf("the failing tee holds %d bytes, want the archive's first bytes, at most 12 MiB", len(got))
	}
	if len(tee.ended) != 0 {
		t.Errorf("End was called for a copy that lacks bytes: %+v", tee.ended)
	}
}

// TestPackFileTeeChanged: a file that changes while it is packed makes
// PackFile pack again, and the Tee begins anew: its second attempt holds
// the archive, the first the abandoned start. The file is larger than the
// frames in flight (two of 8 MiB at concurrency 1), so the first bytes
// reach the Tee before the file is read to the end.
func TestPackFileTeeChanged(t *testing.T) {
	src := t.TempDir()
	big := filepath.Join(src, "big.bin")
	data := make([]byte, 40<<20)
	rand.NewChaCha8([32]byte{3}).Read(data)
	writeTestFile(t, big, data)
	tee := &recordingTee{}
	tee.firstWrite = func(attempt int) {
		if attempt == 1 {
			rewriteInPlace(t, big)
		}
	}
	st, name, err := PackFile(context.Background(), src, t.TempDir(), Options{Concurrency: 1, Tee: tee})
	if err != nil {
		t.Fatal(err)
	}
	local, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(tee.attempts) != 2 {
		t.Fatalf("the tee began %d attempts, want 2", len(tee.attempts))
	}
	if !bytes.Equal(tee.attempts[1].Bytes(), local) || sha(local) != st.SHA256 {
		t.Error("the tee's second attempt is not the archive")
	}
	if first := tee.attempts[0].Bytes(); len(first) == 0 || len(first) >= len(local) {
		t.Errorf("the abandoned attempt holds %d bytes, want a start of the archive", len(first))
	}
	if len(tee.ended) != 1 || tee.endedAfter[0] != 2 || tee.ended[0].SHA256 != st.SHA256 {
		t.Errorf("End was told %+v after attempts %v, want the second attempt's archive only", tee.ended, tee.endedAfter)
	}
}
