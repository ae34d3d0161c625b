package detect

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"

	"opensms/core/model"
)

// registryRoot maps model's short hive names to open root keys.
func registryRoot(hive string) (registry.Key, bool) {
	switch hive {
	case "HKLM":
		return registry.LOCAL_MACHINE, true
	case "HKCU":
		return registry.CURRENT_USER, true
	case "HKCR":
		return registry.CLASSES_ROOT, true
	case "HKU":
		return registry.USERS, true
	case "HKCC":
		return registry.CURRENT_CONFIG, true
	}
	return 0, false
}

// maxRegistryValue bounds what is read of a value of a type OpenSMS does
// not interpret: detection compares a few bytes, not blobs.
const maxRegistryValue = 1 << 20

// checkRegistry reads the rule's value from the registry view it names
// (KEY_WOW64_64KEY or KEY_WOW64_32KEY; on 32-bit Windows both read the
// one registry) and compares it (see matchRegistry).
func checkRegistry(_ *Evaluator, r model.DetectionRule) Result {
	what := r.Subject()
	hive, sub, ok := model.SplitRegistryKey(r.Key)
	root, known := registryRoot(hive)
	if !ok || !known {
		return notApplicable("registry key %q names no hive this client knows", r.Key)
	}
	access := uint32(registry.QUERY_VALUE | registry.WOW64_64KEY)
	if r.View == model.RegistryView32 {
		access = registry.QUERY_VALUE | registry.WOW64_32KEY
	}
	k, err := registry.OpenKey(root, sub, access)
	if errors.Is(err, registry.ErrNotExist) {
		return notHeld("registry key %s (%s-bit) does not exist; expected %s", r.Key, r.View, expectation(r))
	} else if err != nil {
		return notApplicable("registry key %s (%s-bit) cannot be read here: %v", r.Key, r.View, err)
	}
	defer k.Close()
	d, err := readRegistryValue(k, r.ValueName)
	if errors.Is(err, registry.ErrNotExist) {
		return notHeld("%s does not exist; expected %s", what, expectation(r))
	} else if err != nil {
		return notApplicable("%s cannot be read here: %v", what, err)
	}
	return matchRegistry(r, d)
}

// expectation says what a registry rule expects, for a sentence about a
// value that is not there.
func expectation(r model.DetectionRule) string {
	if r.Value == "" {
		return "the value to exist"
	}
	return fmt.Sprintf("%q", r.Value)
}

// readRegistryValue reads a value whatever its type.
func readRegistryValue(k registry.Key, name string) (registryData, error) {
	n, typ, err := k.GetValue(name, nil)
	if err != nil {
		return registryData{}, err
	}
	switch typ {
	case registry.SZ, registry.EXPAND_SZ:
		// The data as stored: an expected "%ProgramFiles%\App" matches an
		// unexpanded REG_EXPAND_SZ, as regedit shows it.
		s, _, err := k.GetStringValue(name)
		return registryData{typ: typeName(typ), form: formString, strs: []string{s}}, err
	case registry.MULTI_SZ:
		ss, _, err := k.GetStringsValue(name)
		return registryData{typ: "REG_MULTI_SZ", form: formString, strs: ss}, err
	case registry.DWORD, registry.QWORD:
		v, _, err := k.GetIntegerValue(name)
		return registryData{typ: typeName(typ), form: formNumber, num: v}, err
	}
	if n > maxRegistryValue {
		return registryData{}, fmt.Errorf("the value holds %d bytes, more than the %d a rule compares", n, maxRegistryValue)
	}
	buf := make([]byte, n)
	n, _, err = k.GetValue(name, buf)
	if err != nil {
		return registryData{}, err
	}
	return registryData{typ: typeName(typ), form: formBinary, raw: buf[:n]}, nil
}

func typeName(t uint32) string {
	switch t {
	case registry.SZ:
		return "REG_SZ"
	case registry.EXPAND_SZ:
		return "REG_EXPAND_SZ"
	case registry.BINARY:
		return "REG_BINARY"
	case registry.DWORD:
		return "REG_DWORD"
	case registry.DWORD_BIG_ENDIAN:
		return "REG_DWORD_BIG_ENDIAN"
	case registry.MULTI_SZ:
		return "REG_MULTI_SZ"
	case registry.QWORD:
		return "REG_QWORD"
	}
	return fmt.Sprintf("registry type %d", t)
}
