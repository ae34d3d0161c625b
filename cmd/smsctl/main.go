// Command smsctl administers OpenSMS without a display: sites, servers,
// computers, machine groups, packages and jobs, the watchdog as a service
// and the headless client agent. It is pure Go (builds with CGO_ENABLED=0).
//
// Usage: smsctl [--data DIR] [--json] <command> <verb> [flags] [args]
// Commands live one per file and register themselves; see cli.go.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"opensms/core/model"
	"opensms/storage/badgerstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{
		stdin:   os.Stdin,
		stdout:  os.Stdout,
		stderr:  os.Stderr,
		open:    openStore,
		restore: badgerstore.Restore,
	})
	stop()
	os.Exit(code)
}

// openStore opens the Badger store in dir. When the Administrator holds it,
// the error is already the sentence to show.
func openStore(dir string) (model.Store, error) {
	st, err := badgerstore.Open(dir, badgerstore.Options{})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return st, nil
}
