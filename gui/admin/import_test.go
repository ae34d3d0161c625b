package admin

import (
	"context"
	"io"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

const helloPDF = "[PDF]\r\nVersion=1.2\r\n\r\n[Package Definition]\r\nProduct=Hello\r\nVersion=2.0\r\nComment=Says hello\r\nSetupVariations=Typical,Old\r\n\r\n" +
	"[Typical Setup]\r\nCommandName=Typical\r\nCommandLine=setup.exe /q\r\nUserInputRequired=FALSE\r\nSupportedPlatforms=Windows NT (x86)\r\n\r\n" +
	"[Old Setup]\r\nCommandName=Old\r\nCommandLine=setup.exe\r\nUserInputRequired=TRUE\r\nSupportedPlatforms=Windows NT (x86),Windows NT (Alpha)\r\n"

func TestImportPackageDefinitionFillsPackageProperties(t *testing.T) {
	a, st := newTestAdmin(t, nil)
	src := t.TempDir()
	a.locked(func() { a.importFrom(io.NopCloser(strings.NewReader(helloPDF)), "hello.pdf") })
	waitFor(t, a, "the source folder question", func() bool { return a.importDlg != nil })
	a.locked(func() {
		test.Type(a.importDlg.source, src)
		test.Tap(a.importDlg.ok)
		pp := a.props
		if pp == nil || pp.name.Text != "Hello" || pp.version.Text != "2.0" || pp.comment.Text != "Says hello" {
			t.Fatalf("Package Properties not pre-filled: %+v", pp)
		}
		if len(pp.warnings) == 0 {
			t.Error("the import's warnings (Alpha dropped) are not shown")
		}
		if len(pp.pkg.Commands) != 2 || pp.pkg.Source != src {
			t.Fatalf("package = %+v", pp.pkg)
		}
		test.Tap(pp.ok)
	})
	waitFor(t, a, "the imported package in the store", func() bool {
		ps, _ := st.ListPackages(context.Background())
		return len(ps) == 1 && ps[0].Name == "Hello" && len(ps[0].Commands) == 2 && ps[0].Commands[0].Automated
	})
}

func TestImportRefusesABrokenFileWithASentence(t *testing.T) {
	a, st := newTestAdmin(t, nil)
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
	if a.importDlg != nil {
		t.Error("a broken file went on to ask for the source")
	}
	if ps, _ := st.ListPackages(context.Background()); len(ps) != 0 {
		t.Error("a broken file stored a package")
	}
}
