package badgerstore

import (
	"context"
	"testing"

	"opensms/core/model"
)

// TestSitesDoNotShareASiteShare: a second site on the share of another
// overwrote its site.json, and the first site's clients refused everything.
func TestSitesDoNotShareASiteShare(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	first := site("S01", "")
	first.Share = "smb://sms@siteserver/SMS_SITE"
	must(t, s.PutSite(ctx, first))
	for _, tc := range []struct {
		share string
		ok    bool
	}{
		{`\\SITESERVER\sms_site`, false},
		{"smb://other@siteserver:445/SMS_SITE", false},
		{`\\siteserver\SMS_SITE\S02`, true}, // a folder of its own
		{`\\siteserver\SMS_SITE2`, true},
		{"smb://siteserver:4445/SMS_SITE", true},
	} {
		t.Run(tc.share, func(t *testing.T) {
			second := site("S02", "")
			second.Share = tc.share
			err := s.PutSite(ctx, second)
			if tc.ok {
				must(t, err)
				must(t, s.DeleteSite(ctx, "S02"))
				return
			}
			wantErr(t, err, model.ErrExists, "is already site S01's")
			if _, err := s.GetSite(ctx, "S02"); err == nil {
				t.Error("the refused site was stored")
			}
		})
	}
	// Editing a site keeps its own share.
	first.Name = "Renamed"
	must(t, s.PutSite(ctx, first))
}
