// Command smsadmin is the OpenSMS Administrator. When a site service
// (smsctl watchdog serve) answers for the data directory it attaches to it;
// otherwise it opens the store, creates the demo site on first start, runs
// the watchdog in-process and shows the window over the API in process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	coreadmin "opensms/core/admin"
	"opensms/core/demo"
	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/gui/admin"
	"opensms/gui/clocale"
	"opensms/gui/startup"
	"opensms/storage/adminapi"
	"opensms/storage/badgerstore"
	"opensms/storage/localapi"
	"opensms/storage/shares"
)

// version is this build's version, which the site service compares with
// its own and Help → About shows. make build, run and package set it with
// -ldflags "-X main.version=…" (git describe); it is written only by the
// linker.
var version = "dev"

func main() {
	clocale.Restore() // Fyne has read the locale: children get the user's own
	dir, dirErr := model.DefaultDataDir(model.SiteDataName)
	data := flag.String("data", dir, "data directory holding the store")
	flag.Parse()
	a := app.NewWithID("org.opensms.admin")
	if *data == "" {
		fail(a, dirErr)
	}
	adm, stop, err := start(context.Background(), a, *data)
	if err != nil {
		fail(a, err) // in use, another user's service, another version: the error is the sentence
	}
	adm.ShowAndRun()
	stop()
}

// start builds the Administrator for data: attached to the site service
// when one answers, else over the store with the watchdog in this process.
// stop ends what start began (the watchdog, the store, the connection);
// calling it again does nothing.
func start(ctx context.Context, a fyne.App, data string) (*admin.Admin, func(), error) {
	client, err := adminapi.Attach(ctx, data, version)
	if err == nil {
		adm := admin.New(a, client)
		adm.SetWhere(admin.Where{Attached: true, Since: client.Started()})
		adm.SetVersion(version)
		return adm, client.Close, nil
	}
	if !errors.Is(err, localapi.ErrNoService) {
		return nil, nil, err
	}
	st, err := badgerstore.Open(data, badgerstore.Options{})
	if err != nil {
		return nil, nil, err
	}
	if _, err := demo.Ensure(ctx, st, data); err != nil {
		fmt.Fprintf(os.Stderr, "creating the demo site: %v\n", err)
	}
	opener := shares.NewOpener()
	wd := watchdog.New(st, opener, watchdog.Config{})
	if err := wd.Start(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "starting the watchdog: %v\n", err)
	}
	api := coreadmin.New(st, wd, opener)
	adm := admin.New(a, api)
	adm.SetWhere(admin.Where{})
	adm.SetVersion(version)
	stopServing := serveWindow(data, api)
	stop := sync.OnceFunc(func() {
		stopServing()
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := wd.Stop(stopCtx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		st.Close()
	})
	return adm, stop, nil
}

// serveWindow serves the window's API on the data directory's socket while
// it runs, as the site service would: smsctl (and a second Administrator)
// then attach to this window instead of finding the store in use. The
// returned function stops serving and waits for the requests in flight. A
// socket that cannot be made only costs that: the window works without it.
func serveWindow(data string, api coreadmin.API) func() {
	l, err := localapi.Listen(adminapi.Address(data), localapi.ListenConfig{Service: adminapi.Service})
	if err != nil {
		fmt.Fprintf(os.Stderr, "smsctl cannot attach to this window: %v\n", err)
		return func() {}
	}
	srv := localapi.Start(l, localapi.ServerConfig{Service: adminapi.Service, Version: version, Handler: adminapi.Handler(api), Grace: 3 * time.Second})
	return func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

// fail says why the Administrator cannot start, in a window when there is a
// display (a menu click leaves no terminal), and exits.
func fail(a fyne.App, err error) {
	fmt.Fprintln(os.Stderr, err)
	if startup.HaveDisplay() {
		startup.FailWindow(a, "OpenSMS Administrator", err).ShowAndRun()
	}
	os.Exit(1)
}
