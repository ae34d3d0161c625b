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
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"opensms/core/demo"
	"opensms/core/watchdog"
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
		if haveDisplay() {
			a := app.NewWithID("org.opensms.admin")
			failWindow(a, "OpenSMS Administrator", err).ShowAndRun()
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

// failWindow says why the program cannot start. Started from a desktop menu,
// nobody reads standard error, and a window that never opens looks like a
// crash; the usual cause is the store held by another OpenSMS process.
func failWindow(a fyne.App, title string, err error) fyne.Window {
	w := a.NewWindow(title)
	text := strings.TrimSpace(err.Error())
	if text != "" {
		text = strings.ToUpper(text[:1]) + text[1:]
		if !strings.HasSuffix(text, ".") {
			text += "."
		}
	}
	msg := &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}
	closeBtn := &widget.Button{Text: "Close", Importance: widget.HighImportance, OnTapped: a.Quit}
	w.SetContent(container.NewPadded(container.NewBorder(nil, container.NewCenter(closeBtn), nil, nil, msg)))
	w.Resize(fyne.NewSize(520, 170))
	return w
}

// haveDisplay reports whether a window can open at all (not over SSH).
func haveDisplay() bool {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}
