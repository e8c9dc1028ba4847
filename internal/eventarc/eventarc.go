// Package eventarc delivers Cloud Storage events to a function over HTTP the
// way Eventarc does: a binary-mode CloudEvent whose data is the object's
// metadata in the JSON form of google.events.cloud.storage.v1.StorageObjectData.
// The local demo and the tests use it.
package eventarc

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/googleapis/google-cloudevents-go/cloud/storagedata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The event types of Cloud Storage objects: a new generation, and a change
// of an existing generation's metadata.
const (
	FinalizedType       = "google.cloud.storage.object.v1.finalized"
	MetadataUpdatedType = "google.cloud.storage.object.v1.metadataUpdated"
)

// Object describes the object an event is about.
type Object struct {
	Bucket         string
	Name           string
	Generation     int64
	Metageneration int64
	Size           int64
	ContentType    string
	Metadata       map[string]string
	Updated        time.Time
}

// FinalizedEvent returns the CloudEvent Cloud Storage emits when obj is
// written.
func FinalizedEvent(id string, obj Object) (cloudevents.Event, error) {
	return ObjectEvent(FinalizedType, id, obj)
}

// MetadataUpdatedEvent returns the CloudEvent Cloud Storage emits when the
// metadata of obj's generation changes; obj is the object after the change.
func MetadataUpdatedEvent(id string, obj Object) (cloudevents.Event, error) {
	return ObjectEvent(MetadataUpdatedType, id, obj)
}

// ObjectEvent returns a CloudEvent of type typ about obj.
func ObjectEvent(typ, id string, obj Object) (cloudevents.Event, error) {
	data, err := EventData(obj)
	if err != nil {
		return cloudevents.Event{}, err
	}
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetType(typ)
	e.SetSource("//storage.googleapis.com/projects/_/buckets/" + obj.Bucket)
	e.SetSubject("objects/" + obj.Name)
	t := obj.Updated
	if t.IsZero() {
		t = time.Now()
	}
	e.SetTime(t)
	if err := e.SetData(cloudevents.ApplicationJSON, data); err != nil {
		return cloudevents.Event{}, err
	}
	return e, nil
}

// EventData encodes obj as Cloud Storage does in event data, with int64
// fields as JSON strings.
func EventData(obj Object) ([]byte, error) {
	t := obj.Updated
	if t.IsZero() {
		t = time.Now()
	}
	mg := obj.Metageneration
	if mg == 0 {
		mg = 1
	}
	d := &storagedata.StorageObjectData{
		Kind:           "storage#object",
		Id:             obj.Bucket + "/" + obj.Name + "/" + strconv.FormatInt(obj.Generation, 10),
		Bucket:         obj.Bucket,
		Name:           obj.Name,
		Generation:     obj.Generation,
		Metageneration: mg,
		Size:           obj.Size,
		ContentType:    obj.ContentType,
		Metadata:       obj.Metadata,
		StorageClass:   "STANDARD",
		TimeCreated:    timestamppb.New(t),
		Updated:        timestamppb.New(t),
	}
	return protojson.Marshal(d)
}

// Client sends events to a function.
type Client struct {
	ce cloudevents.Client
}

// NewClient returns a Client that uses hc for HTTP (nil means a client with
// a generous timeout, as Eventarc waits up to the function's timeout).
func NewClient(hc *http.Client) (*Client, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Minute}
	}
	p, err := cloudevents.NewHTTP(cehttp.WithClient(*hc))
	if err != nil {
		return nil, err
	}
	c, err := cloudevents.NewClient(p, cloudevents.WithTimeNow(), cloudevents.WithUUIDs())
	if err != nil {
		return nil, err
	}
	return &Client{ce: c}, nil
}

// Deliver sends e once, in binary mode, to target and returns the HTTP
// status the function answered with. A 2xx status acknowledges the event.
func (c *Client) Deliver(ctx context.Context, target string, e cloudevents.Event) (int, error) {
	ctx = cloudevents.ContextWithTarget(ctx, target)
	res := c.ce.Send(ctx, e)
	var hr *cehttp.Result
	if cloudevents.ResultAs(res, &hr) {
		return hr.StatusCode, nil
	}
	if cloudevents.IsACK(res) {
		return http.StatusOK, nil
	}
	return 0, fmt.Errorf("deliver event %s: %w", e.ID(), res)
}
