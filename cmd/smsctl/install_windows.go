package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

func printService(e *env, s serviceSpec) error {
	fmt.Fprintf(e.stdout, "Windows service %s\n", s.Name)
	fmt.Fprintf(e.stdout, "  display name: %s\n", s.Description)
	fmt.Fprintf(e.stdout, "  command:      %s\n", strings.Join(quoteAll(s.command()), " "))
	fmt.Fprintf(e.stdout, "  account:      LocalSystem\n  start:        automatic, restarted after a failure\n")
	return nil
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = syscall.EscapeArg(a)
	}
	return out
}

// installService creates the service (automatic start as LocalSystem,
// restarted after a failure) and starts it. It needs an elevated prompt.
func installService(_ context.Context, e *env, s serviceSpec) error {
	m, err := mgr.Connect()
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			return errors.New("installing a Windows service needs an elevated prompt (Run as administrator)")
		}
		return fmt.Errorf("connecting to the service manager: %w", err)
	}
	defer m.Disconnect()
	if old, err := m.OpenService(s.Name); err == nil {
		old.Close()
		return fmt.Errorf("the service %s is already installed; remove it with 'sc.exe delete %s' to install it again", s.Name, s.Name)
	}
	ws, err := m.CreateService(s.Name, s.Exe, mgr.Config{
		DisplayName: s.Description,
		StartType:   mgr.StartAutomatic,
		Description: s.Description,
	}, append([]string{"--data", s.Data}, s.Args...)...)
	if err != nil {
		return fmt.Errorf("creating the service %s: %w", s.Name, err)
	}
	defer ws.Close()
	_ = ws.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 5e9}}, 86400)
	if err := ws.Start(); err != nil {
		return fmt.Errorf("installed %s, but starting it failed: %w", s.Name, err)
	}
	fmt.Fprintf(e.stdout, "installed and started the Windows service %s\n", s.Name)
	return nil
}

// asService, when the service manager started this process, reports to it
// and ends ctx when it asks the service to stop; the returned function
// reports the stop done. Run by hand, it returns ctx unchanged.
func asService(ctx context.Context, name string) (context.Context, func()) {
	if is, err := svc.IsWindowsService(); err != nil || !is {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = svc.Run(name, handler{cancel: cancel, finished: finished})
		cancel()
	}()
	return ctx, func() { close(finished); <-ran }
}

// handler answers the service manager: running until a stop, then
// stop-pending until the service has finished stopping.
type handler struct {
	cancel   context.CancelFunc
	finished <-chan struct{}
}

func (h handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: 10000}
				h.cancel()
				<-h.finished
				return false, 0
			}
		case <-h.finished: // stopped on its own (an error)
			return false, 0
		}
	}
}
