package sambatest

import "syscall"

// procAttr starts smbd in a session of its own (it signals its whole process
// group when it exits, which would otherwise take the test binary along),
// and has the kernel stop it when the process that started it dies: a test
// binary killed by a time-out or a signal runs no cleanup, and would leave
// smbd serving on its port.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
}
