package sharetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"opensms/core/share"
)

// writePieces writes data to w in pieces of uneven sizes, as a packer's
// frames arrive.
func writePieces(w interface{ Write([]byte) (int, error) }, data []byte) error {
	for size := 1; len(data) > 0; {
		size = (size*7 + 12345) % (3 << 20)
		k := min(len(data), size+1)
		if _, err := w.Write(data[:k]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

// testStream: a stream written in uneven pieces lands whole under its
// final name, replacing what was there, and leaves no temporary file; a
// file is never visible under the final name before Finish.
func testStream(t *testing.T, fsys share.FS) {
	data := payload(bigSize, 21)
	if err := share.WriteFileAtomic(context.Background(), fsys, "p/final.tzst", []byte("an older archive")); err != nil {
		t.Fatal(err)
	}
	var last, total int64
	st, err := share.StartStream(fsys, "p", "stream.tzst", share.PutOptions{ChunkSize: 256 << 10, Progress: func(done, tot int64) { last, total = done, tot }})
	if err != nil {
		t.Fatal(err)
	}
	if !share.IsTemp(st.Temp()) {
		t.Fatalf("the stream writes to %s, which readers do not ignore", st.Temp())
	}
	if err := writePieces(st, data); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, fsys, "p/final.tzst"); string(got) != "an older archive" {
		t.Fatal("the final name changed before Finish")
	}
	n, err := st.Finish("p/final.tzst")
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Finish: %d bytes, %v; want %d", n, err, len(data))
	}
	if last != n || total != n {
		t.Errorf("last progress %d of %d, want %d of %d", last, total, n, n)
	}
	if got := mustRead(t, fsys, "p/final.tzst"); !bytes.Equal(got, data) {
		t.Fatal("the streamed file differs from what was written")
	}
	if temps := tempsIn(t, fsys, "p"); len(temps) != 0 {
		t.Fatalf("temporary files left: %v", temps)
	}
}

// testStreamAbort: an aborted stream leaves nothing, and the final name is
// never made.
func testStreamAbort(t *testing.T, fsys share.FS) {
	st, err := share.StartStream(fsys, "p", "stream.tzst", share.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := writePieces(st, payload(5<<20, 22)); err != nil {
		t.Fatal(err)
	}
	if err := st.Abort(); err != nil {
		t.Fatal(err)
	}
	if n := names(t, fsys, "p"); len(n) != 0 {
		t.Fatalf("left after Abort: %v", n)
	}
}

// testStreamCutThenPutAdopts: a stream cut off mid-way fails its writes
// (the caller drops it), keeps its temporary file, and a PutAtomic of the
// final name that adopts the stream's files resumes from it; a kept stream
// of other bytes is written over, never trusted.
func testStreamCutThenPutAdopts(t *testing.T, fsys share.FS) {
	ctx := context.Background()
	data := payload(bigSize, 23)
	faulty := &FaultFS{FS: fsys, Limit: bigSize - 2<<20, Err: fmt.Errorf("cut off: %w", share.ErrUnreachable)}
	st, err := share.StartStream(faulty, "p", "stream.tzst", share.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The writes are in flight when Write returns: the cut shows in a
	// later Write, or at the latest in Keep.
	if err := writePieces(st, data); err != nil && !errors.Is(err, share.ErrUnreachable) {
		t.Fatalf("writing past the cut: %v, want ErrUnreachable", err)
	}
	if err := st.Keep(); !errors.Is(err, share.ErrUnreachable) {
		t.Fatalf("Keep: %v, want the stream's error", err)
	}
	if _, err := st.Write([]byte("more")); !errors.Is(err, share.ErrUnreachable) {
		t.Fatalf("a write after the failure: %v, want the same error", err)
	}
	if temps := tempsIn(t, fsys, "p"); len(temps) != 1 {
		t.Fatalf("want the cut stream's temporary file kept, have %v", temps)
	}
	res, err := share.PutAtomic(ctx, fsys, "p/final.tzst", bytes.NewReader(data), bigSize, share.PutOptions{Adopt: "stream.tzst"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed <= 0 || res.Resumed+res.Written != bigSize {
		t.Fatalf("adopting the stream: %+v, want Resumed > 0 and Resumed+Written = %d", res, bigSize)
	}
	if got := mustRead(t, fsys, "p/final.tzst"); !bytes.Equal(got, data) {
		t.Fatal("the file resumed from the stream differs from the source")
	}
	if temps := tempsIn(t, fsys, "p"); len(temps) != 0 {
		t.Fatalf("temporary files left: %v", temps)
	}

	// A kept stream of another archive: not trusted.
	other := payload(bigSize, 24)
	st, err = share.StartStream(&FaultFS{FS: fsys, Limit: bigSize - 2<<20, Err: share.ErrUnreachable}, "p", "stream.tzst", share.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = writePieces(st, other)
	_ = st.Keep()
	res, err = share.PutAtomic(ctx, fsys, "p/second.tzst", bytes.NewReader(data), bigSize, share.PutOptions{Adopt: "stream.tzst"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed != 0 {
		t.Fatalf("resumed %d bytes of a stream of other bytes", res.Resumed)
	}
	if got := mustRead(t, fsys, "p/second.tzst"); !bytes.Equal(got, data) {
		t.Fatal("the file differs from the source")
	}
	if _, err := fsys.Stat("p/final.tzst.tmp-x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat of a name never made: %v", err)
	}
	if temps := tempsIn(t, fsys, "p"); len(temps) != 0 {
		t.Fatalf("temporary files left: %v", temps)
	}
}
