// Package gcstest runs a Cloud Storage stand-in on 127.0.0.1 for tests and
// the local demo: fake-gcs-server, served by a listener of our own so that
// every request passes through this package first. That layer adds the
// metageneration bookkeeping and preconditions on metadata updates that the
// emulator lacks.
package gcstest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"
)

// Server is a running Cloud Storage stand-in.
type Server struct {
	// URL is the server's base URL, such as http://127.0.0.1:40123.
	URL string
	// Host is host:port, the value for STORAGE_EMULATOR_HOST.
	Host string

	fake *fakestorage.Server
	http *httptest.Server
	mg   *metagenerations
}

// NewServer starts a stand-in with no buckets.
func NewServer() (*Server, error) {
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		return nil, fmt.Errorf("start fake-gcs-server: %w", err)
	}
	s := &Server{fake: fake}
	s.mg = &metagenerations{s: s, next: fake.HTTPHandler(), m: map[string]int64{}}
	s.http = httptest.NewServer(s.mg)
	s.URL = s.http.URL
	s.Host = strings.TrimPrefix(s.URL, "http://")
	return s, nil
}

// Close stops the server.
func (s *Server) Close() {
	s.http.Close()
	s.fake.Stop()
}

// CreateBucket creates an empty bucket.
func (s *Server) CreateBucket(name string) {
	s.fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
}

// Put stores an object, creating its bucket if needed, and returns the
// generation the stand-in gave it.
func (s *Server) Put(bucket, name, contentType string, data []byte, metadata map[string]string) (int64, error) {
	return s.PutEncoded(bucket, name, contentType, "", data, metadata)
}

// PutEncoded stores an object like Put, with a Content-Encoding such as
// "gzip": data is stored as given, and a reader that does not accept gzip
// gets it decompressed, as with Cloud Storage's decompressive transcoding.
func (s *Server) PutEncoded(bucket, name, contentType, contentEncoding string, data []byte, metadata map[string]string) (int64, error) {
	// A new generation must not land between a metadata update's
	// precondition check and the update itself.
	s.mg.mu.Lock()
	defer s.mg.mu.Unlock()
	err := s.fake.CreateObjectStreaming(fakestorage.Object{
		ObjectAttrs: fakestorage.ObjectAttrs{
			BucketName:      bucket,
			Name:            name,
			ContentType:     contentType,
			ContentEncoding: contentEncoding,
			Metadata:        metadata,
		},
		Content: data,
	}.StreamingObject())
	if err != nil {
		return 0, fmt.Errorf("store gs://%s/%s: %w", bucket, name, err)
	}
	obj, err := s.fake.GetObject(bucket, name)
	if err != nil {
		return 0, fmt.Errorf("read back gs://%s/%s: %w", bucket, name, err)
	}
	return obj.Generation, nil
}

// MetadataUpdate is a change of an object generation's metadata, for which
// Cloud Storage emits a metadataUpdated event.
type MetadataUpdate struct {
	Bucket, Name               string
	Generation, Metageneration int64
}

// MetadataUpdates returns the metadata updates the server applied, oldest
// first, from the nth (counting from 0) on.
func (s *Server) MetadataUpdates(n int) []MetadataUpdate {
	s.mg.mu.Lock()
	defer s.mg.mu.Unlock()
	if n >= len(s.mg.updates) {
		return nil
	}
	return append([]MetadataUpdate(nil), s.mg.updates[n:]...)
}

// UpdateMetadata changes an object's custom metadata through the JSON API,
// as gcloud storage objects update does: a key with an empty value is
// removed.
func (s *Server) UpdateMetadata(ctx context.Context, bucket, name string, metadata map[string]string) error {
	c, err := s.Client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Bucket(bucket).Object(name).Update(ctx, storage.ObjectAttrsToUpdate{Metadata: metadata})
	return err
}

// Attrs returns the stored attributes of an object's latest generation.
func (s *Server) Attrs(bucket, name string) (fakestorage.ObjectAttrs, error) {
	obj, err := s.fake.GetObject(bucket, name)
	return obj.ObjectAttrs, err
}

// Client returns a storage.Client that talks to this server over HTTP.
func (s *Server) Client(ctx context.Context) (*storage.Client, error) {
	return storage.NewClient(ctx,
		option.WithEndpoint(s.URL+"/storage/v1/"),
		option.WithoutAuthentication(),
		option.WithHTTPClient(http.DefaultClient),
		storage.WithJSONReads())
}
