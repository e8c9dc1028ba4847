package people_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"log"

	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/people/peopletest"
	"golang.org/x/oauth2"
)

// staticTokens gives every account the same access token; in production the
// token adapter reads each account's refresh token from Secret Manager.
type staticTokens struct{}

func (staticTokens) TokenSource(ctx context.Context, account string) (oauth2.TokenSource, error) {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "example-token"}), nil
}

func ExampleClient_UpdatePhoto() {
	srv := peopletest.NewServer(nil) // accepts any token for the default account
	defer srv.Close()
	srv.AddContact("", "people/c1234567890", "alice@example.com")

	c, err := people.New(staticTokens{}, &people.Options{Endpoint: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		log.Fatal(err)
	}
	var photo bytes.Buffer
	jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 64, 64)), nil)

	ctx := context.Background()
	ref, err := people.ParseContactRef("alice@example.com")
	if err != nil {
		log.Fatal(err)
	}
	name, err := c.Resolve(ctx, "", ref)
	if err != nil {
		log.Fatal(err)
	}
	got, err := c.UpdatePhoto(ctx, "", name, photo.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("updated", got.ResourceName)
	// Output: updated people/c1234567890
}

func ExampleClient_UpdatePhotoByRef() {
	srv := peopletest.NewServer(nil)
	defer srv.Close()
	srv.AddContact("", "people/c1", "alice@example.com")
	c, err := people.New(staticTokens{}, &people.Options{Endpoint: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		log.Fatal(err)
	}
	var photo bytes.Buffer
	jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 64, 64)), nil)

	// The contact was linked to a profile since the object was tagged, so
	// people/c1 is gone; the object's "email" metadata finds it again.
	srv.RenameContact("", "people/c1", "people/c2")
	ref, _ := people.ParseContactRef("people/c1")
	got, err := c.UpdatePhotoByRef(context.Background(), "", ref, "alice@example.com", photo.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("updated", got.ResourceName)
	// Output: updated people/c2
}

func ExampleParseContactRef() {
	for _, s := range []string{"people/c42", "c42", "Alice@Example.com", "people/me"} {
		ref, err := people.ParseContactRef(s)
		if e, ok := errors.AsType[*people.Error](err); ok {
			fmt.Println(e.Kind, "permanent:", e.Permanent())
			continue
		}
		fmt.Printf("resource name %q, email %q\n", ref.ResourceName, ref.Email)
	}
	// Output:
	// resource name "people/c42", email ""
	// resource name "people/c42", email ""
	// resource name "", email "Alice@Example.com"
	// InvalidContact permanent: true
}

func ExampleContactRefFromFilename() {
	for _, name := range []string{"uploads/c1234567890.jpg", "alice@example.com.png"} {
		ref, err := people.ContactRefFromFilename(name)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ref)
	}
	// Output:
	// people/c1234567890
	// alice@example.com
}
