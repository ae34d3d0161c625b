package detect

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"opensms/core/model"
)

// registryData is a registry value as the Windows checker read it, kept
// apart from the reading so that the comparison is tested on every
// platform.
type registryData struct {
	typ  string // REG_SZ, REG_DWORD, …, for sentences
	form registryForm
	strs []string // formString: one, or REG_MULTI_SZ's many
	num  uint64   // formNumber
	raw  []byte   // formBinary
}

type registryForm int

const (
	formString registryForm = iota + 1
	formNumber
	formBinary
)

// String shows the data in a sentence: REG_SZ "yes", REG_DWORD 1 (0x1).
func (d registryData) String() string {
	switch d.form {
	case formString:
		q := make([]string, len(d.strs))
		for i, s := range d.strs {
			q[i] = strconv.Quote(s)
		}
		return d.typ + " " + strings.Join(q, ", ")
	case formNumber:
		return fmt.Sprintf("%s %d (0x%x)", d.typ, d.num, d.num)
	}
	const most = 32
	if len(d.raw) > most {
		return fmt.Sprintf("%s %x… (%d bytes)", d.typ, d.raw[:most], len(d.raw))
	}
	return fmt.Sprintf("%s %x", d.typ, d.raw)
}

// matchRegistry decides a registry rule on the value found. An empty
// expected value asks only that the value exist. Strings compare exactly
// (a REG_MULTI_SZ holds when one of its strings is the one expected);
// numbers compare by value, the expected one written in decimal or 0x
// hex; other types compare their bytes with the expected hex digits.
func matchRegistry(r model.DetectionRule, d registryData) Result {
	what := r.Subject()
	if r.Value == "" {
		return holds("%s exists (%s)", what, d)
	}
	var ok bool
	switch d.form {
	case formString:
		ok = slices.Contains(d.strs, r.Value)
	case formNumber:
		want, err := parseRegistryNumber(r.Value)
		if err != nil {
			return notHeld("%s is %s; the expected %q is not a number", what, d, r.Value)
		}
		ok = want == d.num
	default:
		want, err := hex.DecodeString(strings.NewReplacer(" ", "", ",", "", "-", "").Replace(r.Value))
		if err != nil {
			return notHeld("%s is %s; the expected %q is not hex digits", what, d, r.Value)
		}
		ok = bytes.Equal(want, d.raw)
	}
	if ok {
		return holds("%s is %s", what, d)
	}
	return notHeld("%s is %s; expected %q", what, d, r.Value)
}

// parseRegistryNumber reads 1234 or 0x4D2. A leading 0 is decimal, not
// octal: administrators copy numbers from regedit's decimal view.
func parseRegistryNumber(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		return strconv.ParseUint(h, 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

// msiState is what MsiQueryProductState answers (INSTALLSTATE).
type msiState int32

// The INSTALLSTATE values MsiQueryProductState returns.
const (
	msiInvalidArg msiState = -2 // INSTALLSTATE_INVALIDARG
	msiUnknown    msiState = -1 // INSTALLSTATE_UNKNOWN: not advertised or installed
	msiAdvertised msiState = 1  // INSTALLSTATE_ADVERTISED
	msiAbsent     msiState = 2  // INSTALLSTATE_ABSENT: installed for another user
	msiDefault    msiState = 5  // INSTALLSTATE_DEFAULT: installed for this user or the machine
)

// msiResult decides an MSI rule on Windows Installer's answer: only a
// product installed for the machine (or the user the check runs as)
// holds.
func msiResult(r model.DetectionRule, s msiState) Result {
	what := r.Subject()
	switch s {
	case msiDefault:
		return holds("%s is installed", what)
	case msiUnknown:
		return notHeld("%s is not installed; expected it installed", what)
	case msiAdvertised:
		return notHeld("%s is only advertised, not installed; expected it installed", what)
	case msiAbsent:
		return notHeld("%s is installed for another user, not for this computer; expected it installed", what)
	case msiInvalidArg:
		return notApplicable("Windows Installer refused %s as a product code", what)
	}
	return notHeld("Windows Installer answers state %d for %s; expected it installed (5)", int32(s), what)
}
