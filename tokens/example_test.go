package tokens_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/contactphoto/contactphoto/tokens"
	"github.com/contactphoto/contactphoto/tokens/oauthtest"
	"github.com/contactphoto/contactphoto/tokens/secrettest"
)

// exampleSetup starts the stand-ins with one refresh token stored in a
// secret, as `contactphoto authorize --secret` leaves it.
func exampleSetup() (*secrettest.Server, *oauthtest.Server) {
	secrets, err := secrettest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	oauth := oauthtest.NewServer()
	oauth.AddClient("123.apps.googleusercontent.com", "GOCSPX-example")
	oauth.AddRefreshToken("123.apps.googleusercontent.com", "1//example", "me@example.com")
	payload, _ := json.Marshal(tokens.AuthorizedUser{
		Type:         tokens.TypeAuthorizedUser,
		ClientID:     "123.apps.googleusercontent.com",
		ClientSecret: "GOCSPX-example",
		RefreshToken: "1//example",
		TokenURI:     oauth.TokenURL(),
	})
	if _, err := secrets.AddVersion("projects/my-project/secrets/contacts-token", payload); err != nil {
		log.Fatal(err)
	}
	return secrets, oauth
}

func ExampleStore_TokenSource() {
	secrets, oauth := exampleSetup()
	defer secrets.Close()
	defer oauth.Close()

	ctx := context.Background()
	// In production the emulator host is "" and the client uses the
	// function's service account.
	sm, err := tokens.NewSecretClient(ctx, secrets.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer sm.Close()
	store, err := tokens.New(sm, tokens.Options{
		DefaultSecret: "projects/my-project/secrets/contacts-token/versions/latest",
	})
	if err != nil {
		log.Fatal(err)
	}

	// Every invocation asks again; the token is fetched once.
	for range 3 {
		ts, err := store.TokenSource(ctx, "")
		if err != nil {
			log.Fatal(err)
		}
		if _, err := ts.Token(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("token requests:", oauth.TokenRequests())
	// Output: token requests: 1
}

func ExampleError() {
	secrets, oauth := exampleSetup()
	defer secrets.Close()
	defer oauth.Close()
	oauth.Revoke("1//example")

	ctx := context.Background()
	sm, err := tokens.NewSecretClient(ctx, secrets.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer sm.Close()
	store, err := tokens.New(sm, tokens.Options{DefaultSecret: "projects/my-project/secrets/contacts-token"})
	if err != nil {
		log.Fatal(err)
	}
	ts, err := store.TokenSource(ctx, "")
	if err == nil {
		_, err = ts.Token()
	}
	var te *tokens.Error
	if errors.As(err, &te) {
		// A function acknowledges permanent failures and retries the rest.
		fmt.Println(te.Kind, "permanent:", te.Permanent())
	}
	// Output: authorization revoked permanent: true
}
