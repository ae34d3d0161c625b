// Package clocale keeps Fyne quiet about the C locale. With LANG=C.UTF-8
// (containers, services, minimal desktops) Fyne 2.7.1's lang package prints
// "Fyne error: Error parsing user locale C" on every start: go-locale turns
// C.UTF-8 into the language "C", which Fyne's translation matcher cannot
// parse, though its own SystemLocale treats it as English. The message comes
// from lang's package initialisation, before main runs, so no setting in
// main can prevent it.
//
// Importing this package (blank, from a window's main) sets LANGUAGE to
// English for that moment only when the locale in force is C.* or POSIX.*
// and LANGUAGE is unset; main calls Restore before it starts anything, so
// no child process sees it. Any other locale, a malformed one included,
// still reaches Fyne as it was and is reported as before.
//
// Why it runs first: Go initialises packages in the order of their import
// paths, each as soon as its imports are. This package imports only os and
// strings, so it is ready once os is; Fyne's lang imports text/template,
// whose path sorts after this one's, so lang cannot be initialised before
// this package.
package clocale

import (
	"os"
	"strings"
)

// marker is LANGUAGE while the fallback stands: English to go-locale (it
// drops what follows the dot, as an encoding), and a value no user sets, so
// that Restore removes only its own.
const marker = "en.opensms-c-locale"

func init() {
	if os.Getenv("LANGUAGE") == "" && isC(locale()) {
		os.Setenv("LANGUAGE", marker)
	}
}

// locale is the locale in force for messages, as go-locale reads it.
func locale() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return ""
}

// isC reports a C or POSIX locale with an encoding (C.UTF-8, C.utf8,
// POSIX.UTF-8). Plain C and POSIX go-locale handles itself.
func isC(l string) bool {
	lang, enc, ok := strings.Cut(l, ".")
	return ok && enc != "" && (lang == "C" || lang == "POSIX")
}

// Restore takes the fallback back out of the environment once Fyne has
// read it, so that what the program starts inherits the user's own.
func Restore() {
	if os.Getenv("LANGUAGE") == marker {
		os.Unsetenv("LANGUAGE")
	}
}
