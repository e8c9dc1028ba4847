package contactphoto

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/people/peopletest"
	"github.com/contactphoto/contactphoto/tokens"
	"github.com/contactphoto/contactphoto/tokens/oauthtest"
)

// echoSecrets are the credentials of the accounts whose token endpoint
// echoes.
const (
	echoClientSecret = "GOCSPX-echoed0client0secret0value"
	echoRefreshPlain = "1//0gEchoPlainRefreshToken0123456789"
	echoRefreshJSON  = "1//0gEchoJSONRefreshToken0123456789"
)

// TestEchoingTokenEndpointStaysOutOfLogs: a token endpoint that echoes the
// request back puts the client secret and the refresh token into its
// error; neither reaches the function's log, its status metadata or the
// webhook's answer, on the event and the webhook paths.
func TestEchoingTokenEndpointStaysOutOfLogs(t *testing.T) {
	fs, env := newOwnStack(t, peopletest.Options{WriteQuota: -1})
	echo := oauthtest.NewEchoingTokenEndpoint()
	t.Cleanup(echo.Close)
	accounts := []string{}
	for name, refresh := range map[string]string{"echoplain": echoRefreshPlain, "echojson": echoRefreshJSON} {
		payload, err := json.Marshal(tokens.AuthorizedUser{
			Type: tokens.TypeAuthorizedUser, ClientID: localstack.ClientID, ClientSecret: echoClientSecret,
			RefreshToken: refresh, TokenURI: echo.URL,
		})
		if err != nil {
			t.Fatal(err)
		}
		version, err := fs.Secrets.AddVersion("projects/"+localstack.Project+"/secrets/"+name, payload)
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, name+"="+version)
	}
	env[EnvAccounts] = strings.Join(accounts, ",")
	webhookSecret, err := fs.Secrets.AddVersion("projects/"+localstack.Project+"/secrets/echo-webhook", webhookKey)
	if err != nil {
		t.Fatal(err)
	}
	env[EnvWebhookSecret] = webhookSecret
	p, logs := newOwnPipeline(t, env)
	const bucket = "echo-photos"
	stack.Storage.CreateBucket(bucket)
	photo := testJPEG(t, 64, 64)

	var outputs bytes.Buffer
	for i, account := range []string{"echoplain", "echojson"} {
		contact := "people/c66000000" + string(rune('1'+i))
		fs.People.AddContact(account, contact)

		// The event path.
		name := "echo/" + account + ".jpg"
		gen, err := stack.Storage.Put(bucket, name, "image/jpeg", photo, map[string]string{"resourceName": contact, "account": account})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := eventarc.FinalizedEvent("echo-"+account, eventarc.Object{Bucket: bucket, Name: name, Generation: gen, Size: int64(len(photo)), ContentType: "image/jpeg"})
		if err != nil {
			t.Fatal(err)
		}
		herr := p.HandleEvent(context.Background(), ev)
		if herr != nil {
			outputs.WriteString(herr.Error() + "\n")
		}
		md := metadataIn(t, bucket, name)
		if !strings.HasPrefix(md[StatusKey], "failed") {
			t.Errorf("%s: status %q, want a failure", name, md[StatusKey])
		}
		for k, v := range md {
			outputs.WriteString(k + "=" + v + "\n")
		}

		// The webhook path.
		body, _ := json.Marshal(map[string]string{"resourceName": contact, "account": account, "photoBytes": base64.StdEncoding.EncodeToString(photo)})
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SignatureHeader, Sign(webhookKey, time.Now(), body))
		rec := httptest.NewRecorder()
		p.HandleWebhook(rec, req)
		if rec.Code/100 == 2 {
			t.Errorf("webhook for %s answered %d", account, rec.Code)
		}
		outputs.Write(rec.Body.Bytes())
		outputs.WriteString("\n")
	}
	all := logs.String() + outputs.String()
	if !strings.Contains(all, "token endpoint answered 400 without an OAuth error code") || !strings.Contains(all, "token endpoint answered 400 invalid_request") {
		t.Fatalf("the failures were not about the token endpoint; the check below would prove nothing:\n%s", all)
	}
	for _, secret := range []string{echoClientSecret, echoRefreshPlain, echoRefreshJSON, "client_secret=", "refresh_token="} {
		if strings.Contains(all, secret) {
			t.Errorf("%q reached the log, the status or the webhook's answer:\n%s", secret, all)
		}
	}
}
