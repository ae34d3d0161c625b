//go:build !unix

package pack

import "errors"

var errNone = errors.New("not on this system")

func mkfifo(string) error             { return errNone }
func mksocket(string) (func(), error) { return nil, errNone }
func mkdevice(string) error           { return errNone }
