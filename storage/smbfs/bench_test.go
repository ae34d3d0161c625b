package smbfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"opensms/core/share"
	"opensms/storage/sambatest"
	"opensms/storage/smbfs"
)

// BenchmarkPutAtomic256MB pushes one 256 MB file to Samba on loopback, as
// the watchdog pushes an archive. Compare with smbclient by hand:
//
//	smbclient //127.0.0.1/DIST1 -p PORT -U user%pass -c 'put FILE'
func BenchmarkPutAtomic256MB(b *testing.B) {
	const size = 256 << 20
	data := payload(size)
	srv := sambatest.Start(b, sambatest.Options{})
	b.Logf("smbd on port %d, config %s", srv.Port(), srv.ConfPath())
	for _, c := range []struct {
		dialect    uint16
		chunk, par int
	}{
		{smbfs.SMB311, 1 << 20, 1}, {smbfs.SMB311, 1 << 20, 4}, {smbfs.SMB311, 4 << 20, 4},
		{smbfs.SMB210, 1 << 20, 1}, {smbfs.SMB210, 1 << 20, 2}, {smbfs.SMB210, 1 << 20, 4}, {smbfs.SMB210, 4 << 20, 4},
	} {
		b.Run(fmt.Sprintf("dialect=%#x/chunk=%dMiB/parallel=%d", c.dialect, c.chunk>>20, c.par), func(b *testing.B) {
			fsys := open(b, srv, srv.Location(dist), smbfs.Options{Dialect: c.dialect})
			b.SetBytes(size)
			for b.Loop() {
				if _, err := share.PutAtomic(context.Background(), fsys, "bench.bin", bytes.NewReader(data), size, share.PutOptions{ChunkSize: c.chunk, Parallel: c.par}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, par := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("fetch/parallel=%d", par), func(b *testing.B) {
			fsys := open(b, srv, srv.Location(dist), smbfs.Options{})
			dst := filepath.Join(b.TempDir(), "bench.bin")
			b.SetBytes(size)
			for b.Loop() {
				os.Remove(dst)
				if _, err := share.FetchWith(context.Background(), fsys, "bench.bin", dst, size, share.FetchOptions{Parallel: par, Hash: sha256.New()}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
