package main

import (
	_ "cloud.google.com/go/secretmanager/apiv1"
	_ "cloud.google.com/go/storage"
	_ "github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	_ "github.com/GoogleCloudPlatform/functions-framework-go/functions"
	_ "github.com/cloudevents/sdk-go/v2"
	_ "github.com/esimov/pigo/core"
	_ "github.com/fsouza/fake-gcs-server/fakestorage"
	_ "github.com/googleapis/google-cloudevents-go/cloud/storagedata"
	_ "github.com/hashicorp/hcl/v2/hclparse"
	_ "golang.org/x/image/webp"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/time/rate"
	_ "google.golang.org/api/people/v1"
	_ "google.golang.org/api/impersonate"
	_ "google.golang.org/grpc"
	_ "github.com/google/go-cmp/cmp"
)

func main() {}
