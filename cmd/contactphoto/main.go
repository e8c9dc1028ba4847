// Command contactphoto runs the contact photo pipeline on a workstation: a
// self-contained demo, a preview of one photo, a local server for the Cloud
// Functions, and the tools to authorize an account and backfill a bucket.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// A command is one subcommand of the CLI.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order -h shows them.
var commands = []command{
	{"demo", "run the whole pipeline locally against stand-ins, with bundled sample photos", runDemo},
	{"preview", "write the contact photo an image becomes, optionally showing why", runPreview},
	{"serve", "serve the functions locally on $PORT, configured from the environment", runServe},
	{"authorize", "store an account's refresh token in Secret Manager or a file", runAuthorize},
	{"set", "set one contact's photo from a local file, through the same pipeline", runSet},
	{"backfill", "set the photos already in a bucket or a folder; resumable, paced, bounded", runBackfill},
	{"sign", "print the signature header of a webhook request body", runSign},
}

// usageError marks a mistake in how the command was called; main exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns the process exit code: 0 on success, 1 on
// failure and 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue *usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "contactphoto %s: %v\nRun 'contactphoto %s -h' for usage.\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(stderr, "contactphoto %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "contactphoto: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: contactphoto <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'contactphoto <command> -h' for a command's flags and an example.")
}

// newFlagSet returns a flag set that reports errors instead of exiting, and
// whose -h output shows the command's usage line and an example.
func newFlagSet(name, usage, example string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("contactphoto "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: contactphoto %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
		if example != "" {
			fmt.Fprintf(stderr, "\nExample:\n  %s\n", example)
		}
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error()}
	}
	return nil
}
