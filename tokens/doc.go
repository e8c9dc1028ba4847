// Package tokens gets OAuth access tokens for the People API from
// credentials kept in Secret Manager, one secret per account.
//
// A secret holds one of two JSON payloads:
//
//   - authorized_user, the format gcloud writes for Application Default
//     Credentials and `contactphoto authorize` stores: client_id,
//     client_secret, refresh_token and an optional token_uri. Tokens come
//     from the refresh token.
//   - impersonated_user, for Google Workspace domain-wide delegation without
//     keys: {"type":"impersonated_user","service_account":"SA_EMAIL",
//     "subject":"USER_EMAIL"}. The function's own identity has the IAM
//     Credentials API sign a JWT as the service account for the subject.
//
// A Store reads each account's secret once, checks its CRC32C, and keeps
// one token source per account for its whole life, so an access token is
// reused until it expires, or until the API refuses it: the sources
// implement InvalidateToken(accessToken), after which the next Token
// fetches a new access token with the same refresh token. When the token endpoint answers invalid_grant,
// the Store re-reads the secret's latest version once, so that adding a new
// version rotates credentials without a redeploy.
//
// # Errors
//
// Every error from Store.TokenSource and from the token sources it returns
// is an *Error whose Kind says what failed and whose Permanent method says
// whether a retry can help. Unavailable (Secret Manager, the token endpoint
// or IAM down, 429, 5xx, deadlines) is transient; UnknownAccount,
// SecretNotFound, SecretPermissionDenied, InvalidSecret (not credentials, or
// a wrong checksum), AuthRevoked, ClientRejected and DelegationDenied are
// permanent. An AuthRevoked error wraps the token endpoint's
// *oauth2.RetrieveError and names the `contactphoto authorize` command that
// fixes it. No error and no log line contains secret material: a token
// endpoint's answer is reduced to its status, error code and a description
// with nothing token-like in it, since an endpoint that echoes the request
// would otherwise put the client secret and refresh token in the message.
package tokens
