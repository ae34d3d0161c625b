package main

import (
	"context"
	"errors"
	"flag"

	"opensms/storage/adminapi"
	"opensms/storage/localapi"
)

func init() {
	register(command{Name: "version", Summary: "print this smsctl's version, and the site service's when one answers at --data", Verbs: []verb{
		{Name: "", NArgs: 0, Summary: "print this smsctl's version, and the site service's when one answers at --data", Setup: showVersion},
	}})
}

// versions is what smsctl version prints as JSON.
type versions struct {
	Smsctl      string `json:"smsctl"`
	SiteService string `json:"site_service,omitempty"`
}

// showVersion prints the build's version ("dev" for go run and go build
// without the Makefile's stamp) and asks the site service for its own,
// which answers whatever version it is: a mismatch is what this is for.
func showVersion(*flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, _ []string) error {
		v := versions{Smsctl: e.buildVersion()}
		fields := []field{{"smsctl", v.Smsctl}}
		if dir, err := e.DataDir(); err == nil {
			c := localapi.NewClient(adminapi.Address(dir), localapi.ClientConfig{Service: adminapi.Service, Version: v.Smsctl})
			defer c.Close()
			info, err := c.Version(ctx)
			var le *localapi.Error
			switch {
			case err == nil || errors.As(err, &le) && le.Kind == localapi.KindVersion:
				v.SiteService = info.Version
				fields = append(fields, field{"site service", info.Version + " (at " + dir + ", since " + when(info.Started) + ")"})
			case !errors.Is(err, localapi.ErrNoService):
				return err
			}
		}
		return e.show(v, fields)
	}
}
