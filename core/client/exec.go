package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"opensms/core/protocol"
)

// waitDelay bounds how long a finished (or killed) command's output pipes
// are drained: a command that leaves a background process holding them
// must not hold the run forever.
const waitDelay = 5 * time.Second

// execResult is how a command ended. exit is nil when it never started or
// was stopped.
type execResult struct {
	exit *int
	tail string
	err  error
}

// execute runs the command line from root with its time-out. started is
// called with the command's process id (and what tells it apart from a
// later process of that number) as soon as it runs.
func (e *Engine) execute(ctx context.Context, enr Enrollment, o protocol.Offer, root string, progress func(Progress), started func(pid int, proc string)) execResult {
	runCtx := ctx
	if t := o.Command.Timeout; t > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	cmd := e.command(runCtx, o.Command.Command)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"OPENSMS_JOB="+o.Job,
		"OPENSMS_PACKAGE="+o.Package,
		"OPENSMS_PACKAGE_DIR="+root,
		"OPENSMS_COMPUTER="+enr.Computer,
		"OPENSMS_SITE="+enr.SiteCode,
	)
	out := &tailWriter{max: OutputTail, progress: progress}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = waitDelay
	progress(Progress{Step: StepRun})
	err := cmd.Start()
	if err == nil {
		release, proc := afterStart(cmd)
		started(cmd.Process.Pid, proc)
		err = cmd.Wait()
		release()
	}
	res := execResult{tail: out.String()}
	switch {
	case ctx.Err() != nil:
		res.err = fmt.Errorf("the command was stopped: %w", ctx.Err())
	case runCtx.Err() != nil:
		res.err = fmt.Errorf("the command ran longer than its time-out of %v and was stopped, with every process it started", o.Command.Timeout)
	case cmd.ProcessState != nil && cmd.ProcessState.Exited():
		code := cmd.ProcessState.ExitCode()
		res.exit = &code
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			res.err = fmt.Errorf("the command was killed: %v", ee)
		} else {
			res.err = fmt.Errorf("the command could not start: %w", err)
		}
	default:
		res.err = errors.New("the command ended without an exit code")
	}
	return res
}

// command builds the shell command; Config.Shell overrides the platform's.
func (e *Engine) command(ctx context.Context, line string) *exec.Cmd {
	if len(e.cfg.Shell) > 0 {
		args := append(append([]string(nil), e.cfg.Shell[1:]...), line)
		cmd := exec.CommandContext(ctx, e.cfg.Shell[0], args...)
		killGroup(cmd)
		return cmd
	}
	return shellCommand(ctx, line)
}

// tailWriter keeps the last max bytes written and passes each piece on to
// the progress callback. exec calls Write from one goroutine at a time
// because Stdout and Stderr are the same writer; the mutex is for String.
type tailWriter struct {
	mu       sync.Mutex
	max      int
	buf      []byte
	progress func(Progress)
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.mu.Unlock()
	t.progress(Progress{Step: StepRun, Output: string(p)})
	return len(p), nil
}

// String returns the tail as valid UTF-8 (the cut may split a character).
func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.ToValidUTF8(string(t.buf), "")
}
