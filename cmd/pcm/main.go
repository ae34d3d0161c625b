// Command pcm is the Package Command Manager: the window in which the person
// at a client computer enrols it with an OpenSMS site and runs what the site
// offers. `smsctl pcm` is the same engine without a window.
//
// When the client agent (`smsctl pcm serve`) answers at --data, or at the
// machine-wide data directory when --data is not given, the window attaches
// to it: packages run with the computer's rights and nothing else holds the
// store. With no agent the window runs the engine itself over the user's
// own store, as before there was an agent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"opensms/assets"
	"opensms/core/client"
	"opensms/core/model"
	"opensms/gui/clocale"
	"opensms/gui/pcm"
	"opensms/gui/startup"
	"opensms/storage/clientstore"
	"opensms/storage/localapi"
	"opensms/storage/pcmapi"
	"opensms/storage/shares"
)

// version is compared with the client agent's, shown in File → About and
// reported in the inventory; make build, run and package set it with
// -ldflags "-X main.version=…" (git describe).
var version = "dev"

func main() {
	clocale.Restore() // Fyne has read the locale: children get the user's own
	data := flag.String("data", "", "the client's data directory: the client agent's, else this window's own store (default: the machine-wide agent's, else the user's config directory + /opensms-client)")
	flag.Parse()
	if err := run(*data); err != nil {
		fmt.Fprintln(os.Stderr, "pcm:", err)
		if startup.HaveDisplay() {
			startup.FailWindow(app.NewWithID("org.opensms.pcm"), "Package Command Manager", err).ShowAndRun()
		}
		os.Exit(1)
	}
}

func run(data string) error {
	eng, cfg, done, err := engine(data)
	if err != nil {
		return err
	}
	defer done()
	cfg.Icon = fyne.NewStaticResource("opensms.png", assets.Icon)
	cfg.Version = version
	cfg.NoTray = !pcm.TrayLikely()
	pcm.New(app.NewWithID("org.opensms.pcm"), eng, cfg).ShowAndRun()
	return nil
}

// engine is the one place that chooses: the client agent's API when one
// answers, else an engine in this process over the user's own store.
func engine(data string) (pcm.Engine, pcm.Config, func(), error) {
	agentDir := data
	if agentDir == "" {
		agentDir = client.MachineDataDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pcmapi.Attach(ctx, agentDir, version)
	if err == nil {
		cfg := pcm.Config{Computer: c.Computer(), Attached: "Attached to the client agent (since " + c.Started().Local().Format("Jan 2 15:04") + ")"}
		return c, cfg, c.Close, nil
	}
	if !errors.Is(err, localapi.ErrNoService) {
		return nil, pcm.Config{}, nil, err
	}
	if data == "" {
		if data, err = model.DefaultDataDir(model.ClientDataName); err != nil {
			return nil, pcm.Config{}, nil, err
		}
	}
	st, err := clientstore.Open(data)
	if err != nil {
		return nil, pcm.Config{}, nil, err
	}
	eng, err := client.New(client.Config{DataDir: data, Opener: shares.NewOpener(), Logger: slog.Default(), ClientVersion: "pcm/" + version}, st)
	if err != nil {
		st.Close()
		return nil, pcm.Config{}, nil, err
	}
	return eng, pcm.Config{Computer: eng.Config().Computer}, func() { st.Close() }, nil
}
