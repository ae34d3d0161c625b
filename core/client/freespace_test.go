package client

import "testing"

// TestFreeSpaceAtAGiBBoundaryIsNoChange: free space that hovers at a GiB
// boundary is no reason to rewrite the inventory (it was, when free space
// was rounded down to the GiB); a GiB gone or freed is.
func TestFreeSpaceAtAGiBBoundaryIsNoChange(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		was, now []uint64
		moved    bool
	}{
		{[]uint64{5*gib - 1, 7 * gib}, []uint64{5*gib + 1, 7 * gib}, false},
		{[]uint64{5 * gib, 7*gib + 1}, []uint64{5 * gib, 7*gib - 1}, false},
		{[]uint64{5 * gib, 7 * gib}, []uint64{4 * gib, 7 * gib}, true},
		{[]uint64{5 * gib, 7 * gib}, []uint64{5 * gib, 8*gib + 1}, true},
		{[]uint64{5 * gib, 7 * gib}, []uint64{5 * gib}, true},
		{nil, []uint64{5 * gib}, true},
	} {
		if got := freeMoved(tc.was, tc.now); got != tc.moved {
			t.Errorf("freeMoved(%v, %v) = %v, want %v", tc.was, tc.now, got, tc.moved)
		}
	}
}
