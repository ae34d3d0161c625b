package admin

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// dateField is a date and time typed in timeLayout with a calendar beside
// it. The typed text stays the value: the picker only writes it, so that
// parseTime reads both alike and a typed date keeps its sentence when it is
// wrong. Fyne's DateEntry holds a date without a time of day, so the picker
// here is its Calendar with the hour and minute beside it.
type dateField struct {
	entry *widget.Entry
	pick  *widget.Button
	popup *widget.PopUp
	// keysBack gives the window back the key handler the open picker
	// wrapped.
	keysBack func()

	// hour and minute are the picker's time of day; a day picked on the
	// calendar takes it.
	hour, minute *widget.Select
}

func newDateField(t time.Time, hint string) *dateField {
	f := &dateField{entry: &widget.Entry{Text: formatTime(t), PlaceHolder: hint}}
	f.pick = &widget.Button{Icon: theme.CalendarIcon(), Importance: widget.LowImportance, OnTapped: f.showPicker}
	return f
}

// object is what the form shows: the typed field with the calendar button
// at its end.
func (f *dateField) object() fyne.CanvasObject {
	return container.NewBorder(nil, nil, nil, f.pick, f.entry)
}

// Disable makes the field read-only, the picker too.
func (f *dateField) Disable() {
	f.entry.Disable()
	f.pick.Disable()
}

// current is the typed date, or the next whole hour when the field is
// empty or unreadable: the picker opens on it.
func (f *dateField) current() time.Time {
	if t, err := parseTime("", f.entry.Text); err == nil && !t.IsZero() {
		return t
	}
	return time.Now().Truncate(time.Hour).Add(time.Hour)
}

// showPicker opens the calendar under the field, at the typed date's month
// and time of day.
func (f *dateField) showPicker() {
	at := f.current()
	hours := make([]string, 24)
	for i := range hours {
		hours[i] = fmt.Sprintf("%02d", i)
	}
	minutes := make([]string, 0, 13)
	for m := 0; m < 60; m += 5 {
		minutes = append(minutes, fmt.Sprintf("%02d", m))
	}
	// A typed minute off the five-minute steps is kept, not rounded.
	if m := fmt.Sprintf("%02d", at.Minute()); !slices.Contains(minutes, m) {
		minutes = append(minutes, m)
		slices.Sort(minutes)
	}
	c := fyne.CurrentApp().Driver().CanvasForObject(f.entry)
	// A tapped Select keeps the focus, and a focused widget takes the keys
	// before the canvas: the choice gives it up so that Escape still
	// reaches the picker.
	chosen := func(string) {
		f.retime()
		c.Unfocus()
	}
	f.hour = &widget.Select{Options: hours, Selected: fmt.Sprintf("%02d", at.Hour()), OnChanged: chosen}
	f.minute = &widget.Select{Options: minutes, Selected: fmt.Sprintf("%02d", at.Minute()), OnChanged: chosen}
	cal := widget.NewCalendar(at, f.pickDay)
	clear := &widget.Button{Text: "Clear", Importance: widget.LowImportance, OnTapped: func() {
		f.entry.SetText("")
		f.closePicker()
	}}
	content := container.NewVBox(
		container.NewHBox(widget.NewLabel("Time"), f.hour, widget.NewLabel(":"), f.minute),
		cal,
		container.NewHBox(clear, &widget.Label{Text: "Pick a day to set it", Importance: widget.LowImportance}),
	)
	f.popup = widget.NewPopUp(content, c)
	f.escapeCloses(c, f.entry.Text)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(f.entry)
	f.popup.ShowAtPosition(pos.Add(fyne.NewPos(0, f.entry.Size().Height)))
}

// escapeCloses makes Escape close the picker and put back the typed text
// it opened on (the hour and minute choices may have moved it): Fyne's
// PopUp takes no keys. Keys reach the canvas only while nothing has focus,
// so the typed field gives it up. The window's own key handler gets every
// other key; closePicker gives it back, and a picker closed by a tap
// outside (no callback) passes keys straight on.
func (f *dateField) escapeCloses(c fyne.Canvas, typed string) {
	popup := f.popup
	before := c.OnTypedKey()
	f.keysBack = func() { c.SetOnTypedKey(before) }
	c.Unfocus()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if popup.Visible() && ev.Name == fyne.KeyEscape {
			f.entry.SetText(typed)
			f.closePicker()
			return
		}
		if before != nil {
			before(ev)
		}
	})
}

// closePicker hides the picker and gives the window its keys back.
func (f *dateField) closePicker() {
	f.popup.Hide()
	if f.keysBack != nil {
		f.keysBack()
		f.keysBack = nil
	}
}

// clock is the picker's time of day.
func (f *dateField) clock() (hour, minute int) {
	hour, _ = strconv.Atoi(f.hour.Selected)
	minute, _ = strconv.Atoi(f.minute.Selected)
	return hour, minute
}

// pickDay writes the day picked on the calendar at the picker's time of day
// and closes the picker.
func (f *dateField) pickDay(day time.Time) {
	h, m := f.clock()
	f.entry.SetText(formatTime(time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, time.Local)))
	f.closePicker()
}

// retime moves a typed date to the picker's time of day, so that the time
// can be changed without picking the day again. An empty or unreadable field
// waits for a day.
func (f *dateField) retime() {
	t, err := parseTime("", f.entry.Text)
	if err != nil || t.IsZero() {
		return
	}
	h, m := f.clock()
	f.entry.SetText(formatTime(time.Date(t.Year(), t.Month(), t.Day(), h, m, 0, 0, time.Local)))
}
