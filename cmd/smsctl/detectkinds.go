package main

import (
	"flag"

	"opensms/core/model"
)

// registryMSIFlags are package detect add's flags for the Windows rule
// kinds: a registry value, or a Windows Installer product.
type registryMSIFlags struct {
	key, name, view, product *string
}

// fill reads the flags of r's kind into r, written as the model wants them
// (HKEY_LOCAL_MACHINE as HKLM, a product code in braces and upper case).
// A flag of the other kinds, such as --path, is left in r for the API to
// refuse with its sentence.
func (w registryMSIFlags) fill(fs *flag.FlagSet, r *model.DetectionRule) error {
	if r.Kind == model.RuleMSI {
		if err := requireFlags(fs, "product-code"); err != nil {
			return err
		}
		code, err := model.ParseProductCode(*w.product)
		r.ProductCode = code
		return err
	}
	if err := requireFlags(fs, "key"); err != nil {
		return err
	}
	key, err := model.ParseRegistryKey(*w.key)
	if err != nil {
		return err
	}
	view, err := model.ParseRegistryView(*w.view)
	if err != nil {
		return err
	}
	r.Key, r.ValueName, r.View = key, *w.name, view
	return nil
}
