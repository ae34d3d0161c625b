package admin

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// inventoryItems are the lines of Computer Properties that say what the
// computer's client reported: hardware, who is logged on, its software
// (the first ones; smsctl --json lists them all) and the packages whose
// detection rules hold there.
func inventoryItems(inv model.Inventory) []*widget.FormItem {
	label := func(s string) fyne.CanvasObject {
		if s == "" {
			s = "-"
		}
		return &widget.Label{Text: s, Wrapping: fyne.TextWrapWord}
	}
	cpu := inv.CPUModel
	if inv.CPUs > 0 {
		cpu = fmt.Sprintf("%d × %s", inv.CPUs, inv.CPUModel)
	}
	var disks []string
	for _, d := range inv.Disks {
		disks = append(disks, fmt.Sprintf("%s %s (%s free)", d.Path, model.FormatBytes(int64(d.Size)), model.FormatBytes(int64(d.Free))))
	}
	booted := ""
	if !inv.Booted.IsZero() {
		booted = inv.Booted.Local().Format(timeLayout)
	}
	memory := ""
	if inv.Memory > 0 {
		memory = model.FormatBytes(int64(inv.Memory))
	}
	var sw []string
	for i, s := range inv.Software {
		if i == 12 {
			sw = append(sw, fmt.Sprintf("… %d more", len(inv.Software)-12))
			break
		}
		sw = append(sw, strings.TrimSpace(s.Name+" "+s.Version))
	}
	return []*widget.FormItem{
		widget.NewFormItem("Kernel", label(inv.Kernel)),
		widget.NewFormItem("CPU", label(cpu)),
		widget.NewFormItem("Memory", label(memory)),
		widget.NewFormItem("Disks", label(strings.Join(disks, "\n"))),
		widget.NewFormItem("Addresses", label(strings.Join(inv.Addresses, ", "))),
		widget.NewFormItem("Booted", label(booted)),
		widget.NewFormItem("Users", label(strings.Join(inv.Users, ", "))),
		widget.NewFormItem(fmt.Sprintf("Software (%d)", len(inv.Software)), label(strings.Join(sw, ", "))),
		widget.NewFormItem("Installed packages", label(strings.Join(inv.Installed, ", "))),
	}
}
