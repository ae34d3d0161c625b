// Command pcm is the Package Command Manager: the window in which the person
// at a client computer enrols it with an OpenSMS site and runs what the site
// offers. `smsctl pcm` is the same engine without a window.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"opensms/assets"
	"opensms/core/client"
	"opensms/core/model"
	"opensms/gui/pcm"
	"opensms/gui/startup"
	"opensms/storage/clientstore"
	"opensms/storage/shares"
)

func main() {
	dir, dirErr := model.DefaultDataDir(model.ClientDataName)
	data := flag.String("data", dir, "the client's data directory (its own store, never the Administrator's)")
	flag.Parse()
	err := dirErr
	if *data != "" {
		err = run(*data)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pcm:", err)
		if startup.HaveDisplay() {
			startup.FailWindow(app.NewWithID("org.opensms.pcm"), "Package Command Manager", err).ShowAndRun()
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
