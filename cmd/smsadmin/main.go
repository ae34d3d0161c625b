// Command smsadmin is the OpenSMS Administrator: it opens the store, creates
// the demo site on first start, runs the watchdog in-process and shows the
// Administrator window over the Administrator API in process.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2/app"

	adminapi "opensms/core/admin"
	"opensms/core/demo"
	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/gui/admin"
	"opensms/gui/startup"
	"opensms/storage/badgerstore"
	"opensms/storage/shares"
)

func main() {
	dir, dirErr := model.DefaultDataDir(model.SiteDataName)
	data := flag.String("data", dir, "data directory holding the store")
	flag.Parse()
	if *data == "" {
		fail(dirErr)
	}
	st, err := badgerstore.Open(*data, badgerstore.Options{})
	if err != nil {
		fail(err) // in use: the store's error is the sentence
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
	admin.New(app.NewWithID("org.opensms.admin"), adminapi.New(st, wd, opener)).ShowAndRun()
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := wd.Stop(stopCtx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// fail says why the Administrator cannot start, in a window when there is a
// display (a menu click leaves no terminal), and exits.
func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	if startup.HaveDisplay() {
		startup.FailWindow(app.NewWithID("org.opensms.admin"), "OpenSMS Administrator", err).ShowAndRun()
	}
	os.Exit(1)
}
