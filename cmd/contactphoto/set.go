package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/contactphoto/contactphoto/imaging"
	"github.com/contactphoto/contactphoto/people"
)

const setUsage = "[--account NAME] [--crop face|center|none] [--token-file FILE | --secret SECRET] [--open] [--out FILE] CONTACT PHOTO_FILE"

// runSet sets one contact's photo from a local file through the same
// pipeline as an upload, against the real People API (or PEOPLE_API_ENDPOINT).
func runSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("set", setUsage,
		"contactphoto set --token-file token.json --open people/c1234567890 portrait.jpg\n"+
			"  contactphoto set --secret projects/my-project/secrets/contacts-token alice@example.com alice.png", stdout)
	tf := addToolFlags(fs)
	account := fs.String("account", "", "the account `name` in ACCOUNTS whose contact to update; default: the default account")
	open := fs.Bool("open", false, "write the photo that was sent next to PHOTO_FILE (or to --out) and open it in an image viewer, if there is one")
	out := fs.String("out", "", "write the photo that was sent to this `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("want CONTACT and PHOTO_FILE, got %d arguments", fs.NArg())
	}
	ref, err := people.ParseContactRef(fs.Arg(0))
	if err != nil {
		return usagef("CONTACT: %v", err)
	}
	in := fs.Arg(1)
	if tf.tokenFile != "" && *account != "" {
		return usagef("--account picks an account of ACCOUNTS; the --token-file credentials are the account")
	}
	cfg, err := tf.config(os.Getenv, *account)
	if err != nil {
		return err
	}
	creds := tf.credentials(cfg)
	if !creds.has(*account) {
		return usagef("%s", creds.missing(*account))
	}
	data, err := readPhoto(in, cfg.MaxObjectBytes)
	if err != nil {
		return err
	}
	// The photo is checked before any credential is read: a file that is
	// not a usable image needs no sign-in to be refused.
	if _, err := imaging.Process(bytes.NewBuffer(data), &cfg.Imaging); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}

	log := tf.logger(stderr)
	if err := creds.open(ctx, log); err != nil {
		return err
	}
	if err := creds.check(ctx, *account); err != nil {
		return err
	}
	p, err := newPipeline(ctx, cfg, creds, log)
	if err != nil {
		return err
	}
	upd, err := p.UpdatePhoto(ctx, *account, ref, data)
	if err != nil {
		return err
	}

	res := upd.Photo
	contact := upd.ResourceName
	if ref.Email != "" {
		contact += " (" + ref.Email + ")"
	}
	fmt.Fprintf(stdout, "Updated the photo of %s, %s, from %s.\n", contact, accountLabel(*account), in)
	fmt.Fprintf(stdout, "  input   %s %dx%d, orientation %d, %s\n", strings.ToUpper(res.Format), res.SourceWidth, res.SourceHeight, res.Orientation, humanBytes(int64(len(data))))
	fmt.Fprintf(stdout, "  crop    %dx%d at (%d,%d): %s\n", res.Crop.Dx(), res.Crop.Dy(), res.Crop.Min.X, res.Crop.Min.Y, res.CropReason)
	fmt.Fprintf(stdout, "  sent    %dx%d JPEG, quality %d, %s\n", res.Width, res.Height, res.Quality, humanBytes(int64(len(res.JPEG))))
	if upd.PhotoURL != "" {
		fmt.Fprintf(stdout, "  photo   %s\n", upd.PhotoURL)
	}
	if !*open && *out == "" {
		return nil
	}
	path := *out
	if path == "" {
		path = strings.TrimSuffix(in, filepath.Ext(in)) + ".sent.jpg"
	}
	if err := os.WriteFile(path, res.JPEG, 0o644); err != nil {
		return fmt.Errorf("the photo was set, but writing the copy failed: %w", err)
	}
	fmt.Fprintf(stdout, "  wrote   %s\n", path)
	if *open {
		if startBrowser(path) {
			fmt.Fprintf(stdout, "  (opened in the image viewer)\n")
		} else {
			fmt.Fprintf(stdout, "  (no image viewer to open it with here)\n")
		}
	}
	return nil
}
