package detect

import (
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"

	"opensms/core/model"
)

// A product code no product has is not installed; an installed product,
// found through MsiEnumProductsW, is.
func TestMSIRulesOnWindows(t *testing.T) {
	e := New(Options{})
	absent := model.DetectionRule{Kind: model.RuleMSI, ProductCode: "{0BADC0DE-0000-4000-8000-0123456789AB}"}
	if got := e.Rule(absent); got.Outcome != NotHeld || !strings.Contains(got.Reason, "is not installed") {
		t.Errorf("absent product: %v %q", got.Outcome, got.Reason)
	}

	enum := windows.NewLazySystemDLL("msi.dll").NewProc("MsiEnumProductsW")
	buf := make([]uint16, 39) // a GUID in braces and a NUL
	if rc, _, _ := enum.Call(0, uintptr(unsafe.Pointer(&buf[0]))); rc != 0 {
		t.Skipf("no product is installed through Windows Installer here (MsiEnumProductsW: %d)", rc)
	}
	code, err := model.ParseProductCode(windows.UTF16ToString(buf))
	if err != nil {
		t.Fatal(err)
	}
	// MsiEnumProductsW lists advertised products too, and those of other
	// users; each reads as such, never as "not installed".
	got := e.Rule(model.DetectionRule{Kind: model.RuleMSI, ProductCode: code})
	if got.Outcome != Holds && !strings.Contains(got.Reason, "another user") && !strings.Contains(got.Reason, "advertised") {
		t.Errorf("installed product %s: %v %q", code, got.Outcome, got.Reason)
	}
}
