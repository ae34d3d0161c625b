package admin

import (
	"context"
	"io"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

const helloPDF = "[PDF]\r\nVersion=1.2\r\n\r\n[Package Definition]\r\nProduct=Hello\r\nVersion=2.0\r\nComment=Says hello\r\nSetupVariations=Typical,Old\r\n\r\n" +
	"[Typical Setup]\r\nCommandName=Typical\r\nCommandLine=setup.exe /q\r\nUserInputRequired=FALSE\r\nSupportedPlatforms=Windows NT (x86)\r\n\r\n" +
	"[Old Setup]\r\nCommandName=Old\r\nCommandLine=setup.exe\r\nUserInputRequired=TRUE\r\nSupportedPlatforms=Windows NT (x86),Windows NT (Alpha)\r\n"

func TestImportPackageDefinitionFillsPackageProperties(t *testing.T) {
	a, st := newTestAdmin(t)
	src := t.TempDir()
	a.locked(func() { a.importFrom(io.NopCloser(strings.NewReader(helloPDF)), "hello.pdf") })
	waitFor(t, a, "the source folder question", func() bool { return dialogNamed(a, "Import Package Definition") != nil })
	a.locked(func() {
		d := mustDialog(t, a, "Import Package Definition")
		test.Type(fieldOf[*widget.Entry](t, d, "Source folder"), src)
		test.Tap(buttonIn(t, d, "Next"))
		pp := mustDialog(t, a, "New Package")
		name, version, comment := fieldOf[*widget.Entry](t, pp, "Name").Text, fieldOf[*widget.Entry](t, pp, "Version").Text, fieldOf[*widget.Entry](t, pp, "Comment").Text
		if name != "Hello" || version != "2.0" || comment != "Says hello" {
			t.Fatalf("Package Properties not pre-filled: %q %q %q", name, version, comment)
		}
		if !labelText(pp, "The import said:") {
			t.Error("the import's warnings (Alpha dropped) are not shown")
		}
		if !labelText(pp, "Source: "+src+"; 2 command line(s): Typical, Old") {
			t.Fatalf("the package is not summed up as imported: %s", overlayText(a))
		}
		test.Tap(buttonIn(t, pp, "OK"))
	})
	waitFor(t, a, "the imported package in the store", func() bool {
		ps, _ := st.ListPackages(context.Background())
		return len(ps) == 1 && ps[0].Name == "Hello" && len(ps[0].Commands) == 2 && ps[0].Commands[0].Automated
	})
}

func TestImportRefusesABrokenFileWithASentence(t *testing.T) {
	a, st := newTestAdmin(t)
	broken := "[PDF]\nVersion=1.2\n[Package Definition]\nProduct=Hello\nSetupVariations=Missing\n"
	a.locked(func() { a.importFrom(io.NopCloser(strings.NewReader(broken)), "broken.pdf") })
	waitFor(t, a, "an error dialog", func() bool {
		for _, o := range a.win.Canvas().Overlays().List() {
			if strings.Contains(test.RenderObjectToMarkup(o), "Missing") {
				return true
			}
		}
		return false
	})
	a.locked(func() {
		if dialogNamed(a, "Import Package Definition") != nil {
			t.Error("a broken file went on to ask for the source")
		}
	})
	if ps, _ := st.ListPackages(context.Background()); len(ps) != 0 {
		t.Error("a broken file stored a package")
	}
}
