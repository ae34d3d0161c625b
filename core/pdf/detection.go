package pdf

import (
	"fmt"
	"strconv"
	"strings"

	"opensms/core/model"
)

// detectionMethod reads [DetectionMethod], the section Configuration
// Manager application tooling writes beside a 2.0 file's programs:
//
//	MsiProductCode = {GUID}
//	RegistryValue = [HKLM\Software\Vendor\App]IsInstalled=yes
//	RegistryValueIs64Bit = true
//
// and, where a file carries them, File (or FilePath) with FileSize and
// FileVersion. Each becomes a rule; an empty entry adds none. An entry
// that cannot be mapped is a warning, never a refusal: the package is still
// worth importing without it.
func (p *parser) detectionMethod(pkg *model.Package) {
	s := p.f.section("DetectionMethod")
	if s == nil {
		return
	}
	before := len(pkg.Detection)
	if v := s.value("MsiProductCode"); v != "" {
		if code, err := model.ParseProductCode(v); err != nil {
			p.warn("[DetectionMethod] MsiProductCode=%s is not a product code ({GUID}); no MSI rule is imported.", clip(v))
		} else {
			pkg.Detection = append(pkg.Detection, model.DetectionRule{Kind: model.RuleMSI, ProductCode: code})
		}
	}
	if v := s.value("RegistryValue"); v != "" {
		if r, ok := p.registryRule(s, v); ok {
			pkg.Detection = append(pkg.Detection, r)
		}
	} else if is64, _ := s.get("RegistryValueIs64Bit"); is64 != "" {
		p.warn("[DetectionMethod] RegistryValueIs64Bit=%s is given without a RegistryValue; it is ignored.", clip(is64))
	}
	p.fileMethod(s, pkg)
	var unkept []string
	for _, k := range s.list {
		switch k {
		case "msiproductcode", "registryvalue", "registryvalueis64bit", "file", "filepath", "filesize", "fileversion":
		default:
			unkept = append(unkept, s.names[k])
		}
	}
	if len(unkept) > 0 {
		p.warn("[DetectionMethod] %s %s not a detection method OpenSMS imports (MsiProductCode, RegistryValue, File); %s ignored.", strings.Join(unkept, ", "), plural(len(unkept), "is", "are"), plural(len(unkept), "it is", "they are"))
	}
	// Rules added to a package whose older rules are combined by an
	// expression must hold as well: AND them on, naming each by number.
	if pkg.DetectionLogic != "" && len(pkg.Detection) > before {
		logic := "(" + pkg.DetectionLogic + ")"
		for i := before + 1; i <= len(pkg.Detection); i++ {
			logic += fmt.Sprintf(" AND %d", i)
		}
		pkg.DetectionLogic = logic
	}
}

// registryRule reads RegistryValue = [HIVE\Key]Name=Data. "Name" alone
// asks only that the value exist; an empty name is the key's default value.
func (p *parser) registryRule(s *section, v string) (model.DetectionRule, bool) {
	rest, ok := strings.CutPrefix(v, "[")
	key, nameData, closed := strings.Cut(rest, "]")
	if !ok || !closed {
		p.warn("[DetectionMethod] RegistryValue=%s is not [KEY]NAME=DATA; no registry rule is imported.", clip(v))
		return model.DetectionRule{}, false
	}
	k, err := model.ParseRegistryKey(key)
	if err != nil {
		p.warn("[DetectionMethod] RegistryValue=%s: %v; no registry rule is imported.", clip(v), err)
		return model.DetectionRule{}, false
	}
	name, data, _ := strings.Cut(nameData, "=")
	r := model.DetectionRule{Kind: model.RuleRegistry, Key: k, ValueName: strings.TrimSpace(name), Value: strings.TrimSpace(data), View: model.RegistryView32}
	// Configuration Manager reads the 32-bit registry (WOW6432Node) unless
	// told the key belongs to a 64-bit application.
	switch is64, present := s.get("RegistryValueIs64Bit"); {
	case !present || is64 == "":
		p.warn("[DetectionMethod] gives no RegistryValueIs64Bit; the registry rule reads the 32-bit registry on 64-bit Windows, as Configuration Manager does.")
	default:
		b, ok := boolean(is64)
		if !ok {
			p.warn("[DetectionMethod] RegistryValueIs64Bit=%s is not TRUE or FALSE; the registry rule reads the 32-bit registry on 64-bit Windows, as Configuration Manager does.", clip(is64))
		} else if b {
			r.View = model.RegistryView64
		}
	}
	if err := r.Validate(); err != nil {
		p.warn("[DetectionMethod] RegistryValue=%s: %v; no registry rule is imported.", clip(v), err)
		return model.DetectionRule{}, false
	}
	return r, true
}

// fileMethod reads File (or FilePath), FileSize and FileVersion, the file
// entries some tools add; they become the same rules as SMS 1.x's
// [File N] sections.
func (p *parser) fileMethod(s *section, pkg *model.Package) {
	file := s.value("File")
	if file == "" {
		file = s.value("FilePath")
	}
	size, version := s.value("FileSize"), s.value("FileVersion")
	if file == "" {
		if size != "" || version != "" {
			p.warn("[DetectionMethod] gives FileSize or FileVersion but no File; no file rule is imported.")
		}
		return
	}
	r := model.DetectionRule{Kind: model.RuleFileExists, Path: file}
	if size != "" {
		if n, err := strconv.ParseInt(size, 10, 64); err == nil && n >= 0 {
			r.Kind, r.Value = model.RuleFileSize, size
		} else {
			p.warn("[DetectionMethod] FileSize=%s is not a number of bytes; only the file's presence is checked.", clip(size))
		}
	}
	if err := r.Validate(); err != nil {
		p.warn("[DetectionMethod] File=%s: %v; no file rule is imported.", clip(file), err)
		return
	}
	pkg.Detection = append(pkg.Detection, r)
	if version != "" {
		pkg.Detection = append(pkg.Detection, model.DetectionRule{Kind: model.RuleVersion, Path: file, Value: version})
	}
}
