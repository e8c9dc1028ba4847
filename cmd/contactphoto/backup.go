package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/contactphoto/contactphoto"
	"github.com/contactphoto/contactphoto/people"
)

// noPhotoFile lists, in a backup folder, the contacts that showed the
// default picture, one resource name a line: undoing a run deletes their
// photos.
const noPhotoFile = "no-photo.txt"

// backup keeps the photos that a run replaces, in a folder laid out as a
// folder backfill reads it: c1234567890.jpg for the default account, and
// ACCOUNT/c1234567890.jpg for the others.
type backup struct {
	dir string

	mu   sync.Mutex
	seen map[string]bool // contacts already saved: the first photo is the one to restore
}

func newBackup(dir string) (*backup, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--backup: %w", err)
	}
	return &backup{dir: dir, seen: map[string]bool{}}, nil
}

// save writes the contact's current photo before it is replaced. A photo
// that cannot be saved stops its update: nothing is replaced unsaved.
func (b *backup) save(ctx context.Context, p *contactphoto.Pipeline, account string, ref people.ContactRef) error {
	name, photo, err := p.CurrentPhoto(ctx, account, ref)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	key := account + "\x00" + name
	if b.seen[key] {
		return nil
	}
	dir := b.dir
	if account != "" {
		dir = filepath.Join(b.dir, account)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("back up %s: %w", name, err)
		}
	}
	if err := writePhotoFile(dir, name, photo); err != nil {
		return fmt.Errorf("back up %s: %w", name, err)
	}
	b.seen[key] = true
	return nil
}

// writePhotoFile writes a contact's photo into dir as ID.jpg (or .png), or,
// for a contact without a photo, adds it to the folder's no-photo list.
func writePhotoFile(dir, resourceName string, photo []byte) error {
	id := strings.TrimPrefix(resourceName, "people/")
	if photo == nil {
		f, err := os.OpenFile(filepath.Join(dir, noPhotoFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(f, resourceName)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	ext := ".jpg"
	if strings.HasPrefix(string(photo), "\x89PNG") {
		ext = ".png"
	}
	return os.WriteFile(filepath.Join(dir, id+ext), photo, 0o644)
}
