// Package startup holds what both OpenSMS windows need before their
// controllers exist: telling the user, in a window, why the program cannot
// start.
package startup

import (
	"os"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// FailWindow says why the program cannot start. Started from a desktop
// menu, nobody reads standard error, and a window that never opens looks
// like a crash; the usual cause is the store held by another OpenSMS
// process (an Administrator, or a PCM whose window was closed to the tray).
func FailWindow(a fyne.App, title string, err error) fyne.Window {
	w := a.NewWindow(title)
	msg := &widget.Label{Text: Sentence(err), Wrapping: fyne.TextWrapWord}
	closeBtn := &widget.Button{Text: "Close", Importance: widget.HighImportance, OnTapped: a.Quit}
	w.SetContent(container.NewPadded(container.NewBorder(nil, container.NewCenter(closeBtn), nil, nil, msg)))
	w.Resize(fyne.NewSize(520, 170))
	return w
}

// Sentence turns a Go error (lower case, no full stop) into a sentence.
func Sentence(err error) string {
	text := strings.TrimSpace(err.Error())
	if text == "" {
		return text
	}
	text = strings.ToUpper(text[:1]) + text[1:]
	if !strings.HasSuffix(text, ".") {
		text += "."
	}
	return text
}

// HaveDisplay reports whether a window can open at all (not over SSH).
func HaveDisplay() bool {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}
