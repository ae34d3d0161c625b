package detect

import (
	"unsafe"

	"golang.org/x/sys/windows"

	"opensms/core/model"
)

// checkMSI asks Windows Installer about the rule's product code through
// msi.dll's MsiQueryProductStateW (see msiResult for what counts).
// The DLL is looked up on each check, not kept in a package variable: the
// loader keeps it loaded after the first time anyway.
func checkMSI(_ *Evaluator, r model.DetectionRule) Result {
	proc := windows.NewLazySystemDLL("msi.dll").NewProc("MsiQueryProductStateW")
	if err := proc.Find(); err != nil {
		return notApplicable("Windows Installer (msi.dll) cannot be used here, so %s cannot be checked: %v", r.Subject(), err)
	}
	code, err := windows.UTF16PtrFromString(r.ProductCode)
	if err != nil {
		return notApplicable("product code %q cannot be passed to Windows Installer: %v", r.ProductCode, err)
	}
	state, _, _ := proc.Call(uintptr(unsafe.Pointer(code)))
	return msiResult(r, msiState(int32(state)))
}
