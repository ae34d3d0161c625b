package badgerstore

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

// withComputers returns a store with n computers in S01 and 10 in S02.
func withComputers(tb testing.TB, n int) *Store {
	tb.Helper()
	s := withSite(tb)
	must(tb, s.PutSite(ctx, site("S02", "S01")))
	inv := &model.Inventory{OS: "windows", Arch: "amd64", OSVersion: "10.0.22631", ClientVersion: "1.0.0", FreeDisk: 50 << 30, Time: t0}
	cs := make([]model.Computer, n)
	for i := range cs {
		cs[i] = model.Computer{Name: fmt.Sprintf("WS%05d", i), Site: "S01", Platform: "windows/amd64", LastSeen: t0, Inventory: inv}
	}
	must(tb, s.PutComputers(ctx, cs...))
	for i := range 10 {
		must(tb, s.PutComputers(ctx, model.Computer{Name: fmt.Sprintf("BR%02d", i), Site: "S02"}))
	}
	return s
}

func TestTenThousandComputers(t *testing.T) {
	start := time.Now()
	s := withComputers(t, 10000)
	t.Logf("PutComputers of 10,000: %v", time.Since(start))

	start = time.Now()
	cs, err := s.ListComputers(ctx, "S01")
	must(t, err)
	t.Logf("ListComputers of 10,000: %v", time.Since(start))
	if len(cs) != 10000 || cs[0].Name != "WS00000" || cs[9999].Name != "WS09999" || cs[42].Inventory == nil {
		t.Fatalf("ListComputers(S01): %d computers, first %+v", len(cs), cs[0])
	}
	for site, want := range map[string]int{"S01": 10000, "S02": 10, "": 10010, "S09": 0} {
		n, err := s.CountComputers(ctx, site)
		must(t, err)
		if n != want {
			t.Errorf("CountComputers(%q) = %d, want %d", site, n, want)
		}
	}
	br, err := s.ListComputers(ctx, "S02")
	must(t, err)
	if len(br) != 10 || br[0].Name != "BR00" {
		t.Errorf("ListComputers(S02) = %+v", br)
	}
	got, err := s.GetComputer(ctx, "ws04242")
	must(t, err)
	if got.Name != "WS04242" || got.Site != "S01" {
		t.Errorf("GetComputer = %+v", got)
	}
}

func BenchmarkListComputers(b *testing.B) {
	s := withComputers(b, 10000)
	b.ResetTimer()
	for b.Loop() {
		cs, err := s.ListComputers(ctx, "S01")
		if err != nil || len(cs) != 10000 {
			b.Fatal(len(cs), err)
		}
	}
}

func BenchmarkListComputersSmallSite(b *testing.B) {
	s := withComputers(b, 10000)
	b.ResetTimer()
	for b.Loop() {
		cs, err := s.ListComputers(ctx, "S02")
		if err != nil || len(cs) != 10 {
			b.Fatal(len(cs), err)
		}
	}
}

func BenchmarkCountComputers(b *testing.B) {
	s := withComputers(b, 10000)
	b.ResetTimer()
	for b.Loop() {
		n, err := s.CountComputers(ctx, "S01")
		if err != nil || n != 10000 {
			b.Fatal(n, err)
		}
	}
}

// TestBatchSplitsBigTransactions writes more entries than one Badger
// transaction takes, so batch must commit and go on.
func TestBatchSplitsBigTransactions(t *testing.T) {
	s := openStore(t)
	const n = 100000
	txn := s.db.NewTransaction(true)
	tooBig := false
	for i := 0; i < n && !tooBig; i++ {
		tooBig = errors.Is(txn.Set(numKey(0x7f, uint64(i)), []byte("value")), badger.ErrTxnTooBig)
	}
	txn.Discard()
	if !tooBig {
		t.Fatalf("%d entries fit one transaction: the test proves nothing", n)
	}
	err := s.batch(ctx, n, func(txn *badger.Txn, i int) error {
		return txn.Set(numKey(0x7f, uint64(i)), []byte("value"))
	})
	must(t, err)
	var got int
	must(t, s.view(ctx, func(txn *badger.Txn) (err error) { got, err = count(ctx, txn, []byte{0x7f}); return err }))
	if got != n {
		t.Errorf("%d of %d entries stored", got, n)
	}
}
