package people

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	peopleapi "google.golang.org/api/people/v1"
)

// opFind names the read that checks that a contact exists.
const opFind = "find contact"

// Find resolves ref and checks that the contact exists, with read calls
// only: searchContacts for an email address (as Resolve), people.get for a
// resource name. Each waits for the account's limiter like a write, so that
// checking many contacts keeps the pace a run of updates would.
// Errors are as for UpdatePhotoByRef: ContactNotFound, AmbiguousContact,
// InvalidContact, and the account's credential failures.
func (c *Client) Find(ctx context.Context, account string, ref ContactRef) (string, error) {
	if ref.Email != "" {
		// The search is a read like the get below: it keeps the same pace.
		if err := c.account(account).limiter.Wait(ctx); err != nil {
			return "", classify(opFind, account, ref.Email, err)
		}
	}
	name, err := c.Resolve(ctx, account, ref)
	if err != nil || ref.ResourceName == "" {
		return name, err // an email search has seen the contact
	}
	a := c.account(account)
	svc, err := c.service(ctx, a)
	if err != nil {
		return "", classify(opFind, account, name, err)
	}
	err = c.retry(ctx, a, opFind, name, func(ctx context.Context) error {
		_, err := svc.People.Get(name).PersonFields("metadata").Context(ctx).Do()
		return err
	})
	return name, err
}

// opGetPhoto names the read of a contact's current photo.
const opGetPhoto = "get photo"

// MaxPhotoBytes bounds the download of a contact's current photo; contact
// photos are small JPEGs.
const MaxPhotoBytes = 10 << 20

// backupEdge is the size asked for when downloading a photo: the longest
// side of the photos this package sets, or larger.
const backupEdge = 1024

// CurrentPhoto returns the photo a contact shows now, as JPEG or PNG bytes,
// or nil when it shows the default picture (initials). The people.get read
// is paced like Find's; the photo itself is downloaded from its URL
// without the account's token, which that host does not need.
func (c *Client) CurrentPhoto(ctx context.Context, account string, ref ContactRef) (resourceName string, photo []byte, err error) {
	name, err := c.Resolve(ctx, account, ref)
	if err != nil {
		return "", nil, err
	}
	a := c.account(account)
	svc, err := c.service(ctx, a)
	if err != nil {
		return "", nil, classify(opGetPhoto, account, name, err)
	}
	var person *peopleapi.Person
	err = c.retry(ctx, a, opGetPhoto, name, func(ctx context.Context) (err error) {
		person, err = svc.People.Get(name).PersonFields("photos").Context(ctx).Do()
		return err
	})
	if err != nil {
		return "", nil, err
	}
	u := photoURL(person)
	if u == "" {
		return name, nil, nil
	}
	photo, err = c.download(ctx, sizedPhotoURL(u, backupEdge))
	if err != nil {
		// Not an API answer: a failed download says nothing about the
		// contact, and may pass.
		return "", nil, &Error{Kind: Unavailable, Op: opGetPhoto, Account: account, Contact: name, Err: err,
			detail: "download the current photo: " + err.Error()}
	}
	return name, photo, nil
}

// sizedPhotoURL asks for a photo at most edge pixels on its longer side, by
// the URL's size option (=sN), which replaces any the API put there:
// https://developers.google.com/people/image-sizing
func sizedPhotoURL(u string, edge int) string {
	slash := strings.LastIndexByte(u, '/')
	if eq := strings.LastIndexByte(u, '='); eq > slash {
		u = u[:eq]
	}
	return u + "=s" + strconv.Itoa(edge)
}

func (c *Client) download(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: c.base, Timeout: c.timeout}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", req.URL.Host, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxPhotoBytes+1))
	if err == nil && len(data) > MaxPhotoBytes {
		err = fmt.Errorf("the current photo is over %d bytes", MaxPhotoBytes)
	}
	return data, err
}

// opList names the listing of an account's contacts.
const opList = "list contacts"

// ListContacts returns the resource names of all the account's contacts,
// from people.connections.list, a page of 1000 at a time.
func (c *Client) ListContacts(ctx context.Context, account string) ([]string, error) {
	a := c.account(account)
	svc, err := c.service(ctx, a)
	if err != nil {
		return nil, classify(opList, account, "", err)
	}
	var names []string
	token := ""
	for {
		var resp *peopleapi.ListConnectionsResponse
		err := c.retry(ctx, nil, opList, "", func(ctx context.Context) (err error) {
			resp, err = svc.People.Connections.List("people/me").PersonFields("metadata").PageSize(1000).PageToken(token).Context(ctx).Do()
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range resp.Connections {
			if p != nil && p.ResourceName != "" {
				names = append(names, p.ResourceName)
			}
		}
		if token = resp.NextPageToken; token == "" {
			return names, nil
		}
	}
}
