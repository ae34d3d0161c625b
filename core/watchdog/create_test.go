package watchdog_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/storage/shares"
)

// A computer's first instruction file is created where it belongs, with no
// temporary twin to rename, and one that exists is replaced through the
// staging folder as before. A client reading the share over SMB all along
// never meets anything but no file, a file cut short (which it takes for
// no file: protocol.CutShort), or a whole file that verifies; real Samba.
func TestFirstInstructionFilesCreatedInPlace(t *testing.T) {
	r := newRig(t)
	names := []string{"PC001", "PC002"}
	var pcs []model.Computer
	for i := 3; i <= 120; i++ {
		c := withKey(model.Computer{Name: fmt.Sprintf("PC%03d", i), Site: siteCode, Platform: "linux/amd64"})
		pcs = append(pcs, c)
		names = append(names, c.Name)
	}
	must(t, r.st.PutComputers(bg, pcs...))
	op := &countingOpener{Opener: shares.NewOpener(), n: map[string]int{}, d: map[string]time.Duration{}}
	r.op.Opener = op
	r.addJob(nil)

	// The client's side: reads every computer's file in turn until the
	// cycle is over, keeping what it read.
	reader := r.siteFS()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads [][]byte
	var readErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			for _, c := range names {
				select {
				case <-stop:
					return
				default:
				}
				name, _ := protocol.InstructionsPath(c)
				data, err := share.ReadSmallFile(reader, name, protocol.MaxSignedSize)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					readErr = fmt.Errorf("reading %s while it is written: %w", name, err)
					return
				}
				reads = append(reads, data)
			}
		}
	}()
	r.runOnce()
	close(stop)
	wg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	priv, err := r.st.SiteKey(bg, siteCode)
	must(t, err)
	pub := priv.Public().(ed25519.PublicKey)
	short := 0
	for _, data := range reads {
		if protocol.CutShort(data) {
			short++
			continue
		}
		if _, err := protocol.DecodeInstructions(pub, data); err != nil {
			t.Fatalf("a client read a file that is neither whole nor cut short: %v\n%q", err, data)
		}
	}
	t.Logf("the client read %d files while they were written, %d of them cut short", len(reads), short)

	first := op.summary()
	if op.n["rename instructions"] != 0 || op.n["open instructions"] < len(names) {
		t.Fatalf("first files: want %d opens in instructions/ and no rename, got %s", len(names), first)
	}
	for _, c := range names {
		if ins := r.wantOnlyIn(protocol.LayoutSharded, c); len(ins.Offers) != 1 {
			t.Fatalf("%s offers %+v", c, ins.Offers)
		}
	}

	// A second job changes every file: each is replaced, not created.
	op.reset()
	r.addJob(nil)
	r.runOnce()
	if op.n["rename instructions"] < len(names) {
		t.Fatalf("files that exist: want %d renames into instructions/, got %s", len(names), op.summary())
	}
	for _, c := range names {
		if ins := r.wantOnlyIn(protocol.LayoutSharded, c); len(ins.Offers) != 2 {
			t.Fatalf("%s offers %+v after the second job", c, ins.Offers)
		}
	}
	r.noTemps("SITE")
}
