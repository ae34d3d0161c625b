// Package assets embeds OpenSMS's images. It imports nothing of Fyne, so
// that smsctl, which builds without cgo, may use it too; the GUI wraps the
// bytes in a fyne.StaticResource.
package assets

import _ "embed"

// Icon is the application icon, a 256×256 PNG: a package going into a box.
//
//go:embed icon.png
var Icon []byte
