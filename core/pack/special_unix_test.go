//go:build unix

package pack

import (
	"net"
	"os"
	"syscall"
)

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

// mksocket leaves a Unix socket file at path; the listener stays open until
// the returned function runs.
func mksocket(path string) (func(), error) {
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	return func() { l.Close() }, nil
}

// mkdevice makes a character device like /dev/null; only root may.
func mkdevice(path string) error {
	if os.Geteuid() != 0 {
		return syscall.EPERM
	}
	return syscall.Mknod(path, syscall.S_IFCHR|0o644, 1<<8|3)
}
