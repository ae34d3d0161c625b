// Command pcm is the Package Command Manager: the window in which the person
// at a client computer enrols it with an OpenSMS site and runs what the site
// offers. `smsctl pcm` is the same engine without a window.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"opensms/assets"
	"opensms/core/client"
	"opensms/gui/pcm"
	"opensms/storage/clientstore"
	"opensms/storage/shares"
)

func main() {
	cfgDir, _ := os.UserConfigDir()
	data := flag.String("data", filepath.Join(cfgDir, "opensms-client"), "the client's data directory (its own store, never the Administrator's)")
	flag.Parse()
	if err := run(*data); err != nil {
		fmt.Fprintln(os.Stderr, "pcm:", err)
		if haveDisplay() {
			failWindow(app.NewWithID("org.opensms.pcm"), "Package Command Manager", err).ShowAndRun()
		}
		os.Exit(1)
	}
}

func run(data string) error {
	st, err := clientstore.Open(data)
	if err != nil {
		return err
	}
	defer st.Close()
	eng, err := client.New(client.Config{DataDir: data, Opener: shares.NewOpener(), Logger: slog.Default()}, st)
	if err != nil {
		return err
	}
	icon := fyne.NewStaticResource("opensms.png", assets.Icon)
	pcm.New(app.NewWithID("org.opensms.pcm"), eng, pcm.Config{Computer: eng.Config().Computer, Icon: icon, NoTray: !pcm.TrayLikely()}).ShowAndRun()
	return nil
}

// failWindow says why the window cannot start. Started from a desktop menu,
// nobody reads standard error; the usual cause is a PCM already running
// (its window closed to the tray) that holds the client store.
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
