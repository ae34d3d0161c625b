// Command smsadmin is the OpenSMS Administrator: it opens the store, creates
// the demo site on first start, runs the watchdog in-process and shows the
// Administrator window.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2/app"

	"opensms/core/demo"
	"opensms/core/watchdog"
	"opensms/gui/admin"
	"opensms/gui/startup"
	"opensms/storage/badgerstore"
	"opensms/storage/shares"
)

func main() {
	data := flag.String("data", defaultDataDir(), "data directory holding the store")
	flag.Parse()
	st, err := badgerstore.Open(*data, badgerstore.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // in use: the store's error is the sentence
		if startup.HaveDisplay() {
			a := app.NewWithID("org.opensms.admin")
			startup.FailWindow(a, "OpenSMS Administrator", err).ShowAndRun()
		}
		os.Exit(1)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := demo.Ensure(ctx, st, *data); err != nil {
		fmt.Fprintf(os.Stderr, "creating the demo site: %v\n", err)
	}
	opener := shares.NewOpener()
	wd := watchdog.New(st, opener, watchdog.Config{})
	if err := wd.Start(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "starting the watchdog: %v\n", err)
	}
	admin.New(app.NewWithID("org.opensms.admin"), st, wd, opener).ShowAndRun()
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := wd.Stop(stopCtx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "opensms-data"
	}
	return filepath.Join(dir, "opensms")
}
