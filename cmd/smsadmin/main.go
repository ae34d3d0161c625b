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

	"fyne.io/fyne/v2/app"

	"opensms/core/demo"
	"opensms/gui/admin"
	"opensms/storage/badgerstore"
	"opensms/storage/shares"
)

func main() {
	data := flag.String("data", defaultDataDir(), "data directory holding the store")
	flag.Parse()
	st, err := badgerstore.Open(*data, badgerstore.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // in use: the store's error is the sentence
		os.Exit(1)
	}
	defer st.Close()
	if _, err := demo.Ensure(context.Background(), st, *data); err != nil {
		fmt.Fprintf(os.Stderr, "creating the demo site: %v\n", err)
	}
	admin.New(app.NewWithID("org.opensms.admin"), st, nil, shares.NewOpener()).ShowAndRun()
}

func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "opensms-data"
	}
	return filepath.Join(dir, "opensms")
}
