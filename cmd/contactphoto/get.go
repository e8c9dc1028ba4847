package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/contactphoto/contactphoto/people"
)

const getUsage = "[--account NAME] [--token-file FILE | --secret SECRET] --out DIR (CONTACT... | --all)"

// runGet downloads contacts' current photos into a folder, named so that a
// folder backfill (or set) puts them back: the backup to take before a bulk
// run, as GAM users do.
func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("get", getUsage,
		"contactphoto get --token-file token.json --out before/ people/c1234567890 alice@example.com\n"+
			"  contactphoto get --token-file token.json --out before/ --all", stdout)
	tf := addToolFlags(fs)
	account := fs.String("account", "", "the account `name` in ACCOUNTS whose contacts to read; default: the default account")
	out := fs.String("out", "", "`folder` to write the photos to, as ID.jpg; contacts without a photo are listed in "+noPhotoFile)
	all := fs.Bool("all", false, "every contact of the account")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *out == "":
		return usagef("give the folder to write to with --out DIR")
	case *all && fs.NArg() > 0:
		return usagef("give contacts or --all, not both")
	case !*all && fs.NArg() == 0:
		return usagef("name at least one CONTACT, or give --all")
	}
	refs, err := parseContacts(fs.Args())
	if err != nil {
		return err
	}
	p, err := openTool(ctx, tf, *account, stderr)
	if err != nil {
		return err
	}
	if *all {
		names, err := p.ListContacts(ctx, *account)
		if err != nil {
			return err
		}
		for _, n := range names {
			refs = append(refs, people.ContactRef{ResourceName: n})
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var saved, none int
	for _, ref := range refs {
		name, photo, err := p.CurrentPhoto(ctx, *account, ref)
		if err != nil {
			return fmt.Errorf("%s: %w (%d photos saved before it)", ref, err, saved)
		}
		if err := writePhotoFile(*out, name, photo); err != nil {
			return err
		}
		if photo == nil {
			none++
			fmt.Fprintf(stdout, "%s\tno photo (listed in %s)\n", name, filepath.Join(*out, noPhotoFile))
			continue
		}
		saved++
		fmt.Fprintf(stdout, "%s\t%s\n", name, humanBytes(int64(len(photo))))
	}
	fmt.Fprintf(stdout, "Saved %d photos in %s; %d contacts have none. Put them back with: contactphoto backfill %s\n", saved, *out, none, *out)
	return nil
}

// runDelete removes contacts' photos.
func runDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("delete", "[--account NAME] [--token-file FILE | --secret SECRET] CONTACT...",
		"contactphoto delete --token-file token.json people/c1234567890 alice@example.com\n"+
			"  contactphoto delete --token-file token.json $(cat before/no-photo.txt)", stdout)
	tf := addToolFlags(fs)
	account := fs.String("account", "", "the account `name` in ACCOUNTS whose contacts to change; default: the default account")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name at least one CONTACT")
	}
	refs, err := parseContacts(fs.Args())
	if err != nil {
		return err
	}
	p, err := openTool(ctx, tf, *account, stderr)
	if err != nil {
		return err
	}
	for i, ref := range refs {
		name, err := p.DeletePhoto(ctx, *account, ref)
		if err != nil {
			return fmt.Errorf("%s: %w (%d photos deleted before it)", ref, err, i)
		}
		fmt.Fprintf(stdout, "Deleted the photo of %s.\n", name)
	}
	return nil
}

func parseContacts(args []string) ([]people.ContactRef, error) {
	var refs []people.ContactRef
	for _, a := range args {
		ref, err := people.ParseContactRef(a)
		if err != nil {
			return nil, usagef("CONTACT %q: %v", a, err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// runVersion prints the module version and the source revision the binary
// was built from, as the Go toolchain recorded them.
func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", "contactphoto version", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version takes no arguments")
	}
	_, err := fmt.Fprintln(stdout, versionLine())
	return err
}

func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "contactphoto (no build information)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	line := "contactphoto " + bi.Main.Version
	rev := settings["vcs.revision"]
	switch {
	case rev == "":
		line += ", revision unknown (built without version control information)"
	default:
		line += ", revision " + rev
		if t := settings["vcs.time"]; t != "" {
			line += " of " + t
		}
		if settings["vcs.modified"] == "true" {
			line += ", with local changes"
		}
	}
	return line + ", " + strings.TrimSpace(bi.GoVersion+" "+settings["GOOS"]+"/"+settings["GOARCH"])
}
