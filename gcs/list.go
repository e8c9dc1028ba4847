package gcs

import (
	"context"
	"iter"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"
)

// List yields the live objects of bucket whose names start with prefix, in
// name order, with their metadata, so that a caller can decide what to do
// with each object without reading its attributes again. The library fetches
// the listing a page at a time as the loop advances. A failure is yielded
// once, as an *Error naming the prefix, and ends the sequence.
func (c *Client) List(ctx context.Context, bucket, prefix string) iter.Seq2[*Object, error] {
	const op = "list"
	return func(yield func(*Object, error) bool) {
		b, err := c.bucket(op, bucket, prefix)
		if err != nil {
			yield(nil, err)
			return
		}
		it := b.Objects(ctx, &storage.Query{Prefix: prefix})
		for {
			a, err := it.Next()
			if err == iterator.Done {
				return
			}
			if err != nil {
				yield(nil, classify(op, bucket, prefix, err))
				return
			}
			if !yield(fromAttrs(a), nil) {
				return
			}
		}
	}
}
