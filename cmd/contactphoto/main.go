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
	"sync"
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
	{"status", "list what happened to each photo of a bucket or a folder", runStatus},
	{"get", "download contacts' current photos into a folder", runGet},
	{"delete", "remove contacts' photos, so that they show their initials again", runDelete},
	{"sign", "print the signature header of a webhook request body", runSign},
	{"version", "print the version and the source revision of this build", runVersion},
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
// failure and 2 on a usage error. Help that is asked for goes to stdout; a
// usage error is reported once, on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return 0
	case "help":
		if len(args) == 1 {
			printUsage(stdout)
			return 0
		}
		return run(ctx, []string{args[1], "-h"}, stdout, stderr)
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
			fmt.Fprintf(stderr, "contactphoto %s: %v\n", c.name, err)
			if line := usageLine(c.name); line != "" {
				fmt.Fprintf(stderr, "Usage: contactphoto %s %s\n", c.name, line)
			}
			fmt.Fprintf(stderr, "Run 'contactphoto help %s' for its flags and an example.\n", c.name)
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
	fmt.Fprintln(w, "Run 'contactphoto help <command>' for a command's flags and an example.")
	fmt.Fprintln(w, "Flags may come before or after the arguments; '--' ends the flags.")
}

// usageLines holds each command's usage line once its flag set exists, for
// the message of a usage error.
var usageLines sync.Map

func usageLine(name string) string {
	v, _ := usageLines.Load(name)
	s, _ := v.(string)
	return s
}

// newFlagSet returns a flag set that reports errors instead of exiting or
// printing, and whose -h output, on stdout, shows the command's usage line,
// its flags and an example.
func newFlagSet(name, usage, example string, stdout io.Writer) *flag.FlagSet {
	usageLines.Store(name, usage)
	fs := flag.NewFlagSet("contactphoto "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: contactphoto %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
		if example != "" {
			fmt.Fprintf(w, "\nExample:\n  %s\n", example)
		}
	}
	return fs
}

// parseFlags parses args, which may mix flags and arguments as people type
// them ("set CONTACT PHOTO --token-file F"); "--" ends the flags. Afterwards
// fs.Args() holds the arguments. Flag errors become usage errors, reported
// once by run; -h prints the help to the flag set's output.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defer func() { fs.SetOutput(out); fs.Usage = usage }()
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			usage()
			return err
		}
		if err != nil {
			return &usageError{msg: err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Leave the arguments where fs.Args finds them.
	return fs.Parse(append([]string{"--"}, positional...))
}
