package admin

import (
	"context"
	"fmt"
	"slices"

	"opensms/core/model"
)

// AddDetectionRule implements API.
func (l *Local) AddDetectionRule(ctx context.Context, pkg string, r model.DetectionRule) (_ model.Package, err error) {
	defer fail(&err)
	return l.changePackage(ctx, pkg, func(p *model.Package) error {
		p.Detection = append(p.Detection, r)
		if p.DetectionLogic != "" {
			// A written expression must name every rule: the new one
			// must hold as well.
			p.DetectionLogic = fmt.Sprintf("(%s) AND %d", p.DetectionLogic, len(p.Detection))
		}
		return nil
	})
}

// RemoveDetectionRule implements API.
func (l *Local) RemoveDetectionRule(ctx context.Context, pkg string, n int) (_ model.Package, err error) {
	defer fail(&err)
	return l.changePackage(ctx, pkg, func(p *model.Package) error {
		if n < 1 || n > len(p.Detection) {
			if len(p.Detection) == 0 {
				return invalidf("package %s has no detection rules", p.ID)
			}
			return invalidf("package %s has detection rules 1 to %d; there is no rule %d", p.ID, len(p.Detection), n)
		}
		if p.DetectionLogic != "" {
			l, err := model.ParseDetectionLogic(p.DetectionLogic, len(p.Detection))
			if err != nil {
				return err
			}
			p.DetectionLogic = l.WithoutRule(n).String()
		}
		p.Detection = slices.Delete(p.Detection, n-1, n)
		return nil
	})
}

// SetDetectionLogic implements API.
func (l *Local) SetDetectionLogic(ctx context.Context, pkg, logic string) (_ model.Package, err error) {
	defer fail(&err)
	return l.changePackage(ctx, pkg, func(p *model.Package) error {
		parsed, err := model.ParseDetectionLogic(logic, len(p.Detection))
		if err != nil {
			return err
		}
		// Stored as written back: one spelling, upper-case words.
		p.DetectionLogic = ""
		if logic != "" {
			p.DetectionLogic = parsed.String()
		}
		return nil
	})
}
