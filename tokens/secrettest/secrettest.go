// Package secrettest runs a Secret Manager stand-in: a real gRPC server on
// 127.0.0.1 implementing the parts of google.cloud.secretmanager.v1 that
// contactphoto uses, as strictly as Google does. Point
// SECRET_MANAGER_EMULATOR_HOST (or tokens.NewSecretClient) at Server.Addr.
//
// It serves CreateSecret, GetSecret, AddSecretVersion, GetSecretVersion,
// AccessSecretVersion (with the latest alias and CRC32C checksums),
// DisableSecretVersion and EnableSecretVersion. Malformed names are
// InvalidArgument, missing resources NotFound, disabled versions
// FailedPrecondition; other methods are Unimplemented. Faults can be
// injected with FailNext and CorruptData.
package secrettest

import (
	"context"
	"fmt"
	"hash/crc32"
	"net"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// maxPayload is Secret Manager's payload limit.
const maxPayload = 64 << 10

var (
	projectRE  = regexp.MustCompile(`^projects/([a-z0-9][a-z0-9.:-]{0,62})$`)
	secretIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	secretRE   = regexp.MustCompile(`^projects/[a-z0-9][a-z0-9.:-]{0,62}/secrets/[A-Za-z0-9_-]{1,255}$`)
	versionRE  = regexp.MustCompile(`^(projects/[a-z0-9][a-z0-9.:-]{0,62}/secrets/[A-Za-z0-9_-]{1,255})/versions/([0-9]+|latest)$`)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Server is a running stand-in.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr string

	grpc *grpc.Server

	mu          sync.Mutex
	secrets     map[string]*secret
	failN       int
	failCode    codes.Code
	failMethods []string
	calls       map[string]int

	secretmanagerpb.UnimplementedSecretManagerServiceServer
}

type secret struct {
	meta     *secretmanagerpb.Secret
	versions []*version // versions[i] is version i+1
}

type version struct {
	meta *secretmanagerpb.SecretVersion
	data []byte
	crc  int64
}

// NewServer starts a stand-in on a free port of 127.0.0.1.
func NewServer() (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("secrettest: listen: %w", err)
	}
	s := &Server{
		Addr:    lis.Addr().String(),
		grpc:    grpc.NewServer(),
		secrets: make(map[string]*secret),
		calls:   make(map[string]int),
	}
	secretmanagerpb.RegisterSecretManagerServiceServer(s.grpc, s)
	go s.grpc.Serve(lis)
	return s, nil
}

// Close stops the server, ending open calls.
func (s *Server) Close() { s.grpc.Stop() }

// AddVersion stores payload as a new version of secret
// (projects/P/secrets/S), creating the secret if missing, and returns the
// version's name.
func (s *Server) AddVersion(secretName string, payload []byte) (string, error) {
	if !secretRE.MatchString(secretName) {
		return "", fmt.Errorf("secrettest: %q is not projects/P/secrets/S", secretName)
	}
	if len(payload) > maxPayload {
		return "", fmt.Errorf("secrettest: payload of %d bytes is over 64 KiB", len(payload))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[secretName]
	if sec == nil {
		sec = s.newSecret(secretName, nil)
	}
	return s.addVersion(sec, payload).meta.Name, nil
}

// FailNext makes the next n calls fail with code (such as
// codes.Unavailable) before doing anything. With methods (such as
// "CreateSecret"), only calls of those methods fail, and count.
func (s *Server) FailNext(n int, code codes.Code, methods ...string) {
	s.mu.Lock()
	s.failN, s.failCode, s.failMethods = n, code, methods
	s.mu.Unlock()
}

// CorruptData flips a bit of a stored version's data but keeps its
// checksum, as storage corruption would. version is a full version name.
func (s *Server) CorruptData(versionName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.lookupVersion(versionName)
	if err != nil {
		return err
	}
	if len(v.data) == 0 {
		return fmt.Errorf("secrettest: %s is empty", versionName)
	}
	v.data = append([]byte(nil), v.data...)
	v.data[len(v.data)/2] ^= 0x01
	return nil
}

// Calls returns how many calls of method (such as "AccessSecretVersion")
// the server received, failed ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// begin counts a call and returns the injected fault, if any. Callers hold
// s.mu.
func (s *Server) begin(method string) error {
	s.calls[method]++
	if s.failN > 0 && (len(s.failMethods) == 0 || slices.Contains(s.failMethods, method)) {
		s.failN--
		return status.Errorf(s.failCode, "secrettest: injected %s", s.failCode)
	}
	return nil
}

func (s *Server) newSecret(name string, req *secretmanagerpb.Secret) *secret {
	meta := &secretmanagerpb.Secret{}
	if req != nil {
		meta = proto.Clone(req).(*secretmanagerpb.Secret)
	}
	meta.Name = name
	meta.CreateTime = timestamppb.Now()
	meta.Etag = `"` + strconv.FormatInt(time.Now().UnixNano(), 16) + `"`
	if meta.Replication == nil {
		meta.Replication = &secretmanagerpb.Replication{
			Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}},
		}
	}
	sec := &secret{meta: meta}
	s.secrets[name] = sec
	return sec
}

func (s *Server) addVersion(sec *secret, data []byte) *version {
	v := &version{
		meta: &secretmanagerpb.SecretVersion{
			Name:                           fmt.Sprintf("%s/versions/%d", sec.meta.Name, len(sec.versions)+1),
			CreateTime:                     timestamppb.Now(),
			State:                          secretmanagerpb.SecretVersion_ENABLED,
			Etag:                           `"` + strconv.FormatInt(time.Now().UnixNano(), 16) + `"`,
			ClientSpecifiedPayloadChecksum: true,
		},
		data: append([]byte(nil), data...),
		crc:  int64(crc32.Checksum(data, castagnoli)),
	}
	sec.versions = append(sec.versions, v)
	return v
}

// lookupSecret finds a secret by name. Callers hold s.mu.
func (s *Server) lookupSecret(name string) (*secret, error) {
	if !secretRE.MatchString(name) {
		return nil, status.Errorf(codes.InvalidArgument, "Invalid resource field value in the request.")
	}
	sec := s.secrets[name]
	if sec == nil {
		return nil, status.Errorf(codes.NotFound, "Secret [%s] not found.", name)
	}
	return sec, nil
}

// lookupVersion finds a version by name or the latest alias, whatever its
// state. Callers hold s.mu.
func (s *Server) lookupVersion(name string) (*version, error) {
	m := versionRE.FindStringSubmatch(name)
	if m == nil {
		return nil, status.Errorf(codes.InvalidArgument, "Invalid resource field value in the request.")
	}
	sec := s.secrets[m[1]]
	if m[2] == "latest" {
		if sec == nil || len(sec.versions) == 0 {
			return nil, status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", m[1])
		}
		return sec.versions[len(sec.versions)-1], nil
	}
	n, err := strconv.Atoi(m[2])
	if err != nil || n < 1 {
		return nil, status.Errorf(codes.InvalidArgument, "Invalid resource field value in the request.")
	}
	if sec == nil || n > len(sec.versions) {
		return nil, status.Errorf(codes.NotFound, "Secret Version [%s] not found.", name)
	}
	return sec.versions[n-1], nil
}

// CreateSecret implements secretmanagerpb.SecretManagerServiceServer.
func (s *Server) CreateSecret(_ context.Context, req *secretmanagerpb.CreateSecretRequest) (*secretmanagerpb.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("CreateSecret"); err != nil {
		return nil, err
	}
	if !projectRE.MatchString(req.GetParent()) {
		return nil, status.Errorf(codes.InvalidArgument, "Invalid resource field value in the request.")
	}
	if !secretIDRE.MatchString(req.GetSecretId()) {
		return nil, status.Errorf(codes.InvalidArgument, "Secret id must be 1 to 255 characters of letters, digits, hyphens and underscores.")
	}
	if req.GetSecret().GetReplication().GetReplication() == nil {
		return nil, status.Errorf(codes.InvalidArgument, "Secret.replication is required.")
	}
	name := req.GetParent() + "/secrets/" + req.GetSecretId()
	if s.secrets[name] != nil {
		return nil, status.Errorf(codes.AlreadyExists, "Secret [%s] already exists.", name)
	}
	return proto.Clone(s.newSecret(name, req.GetSecret()).meta).(*secretmanagerpb.Secret), nil
}

// GetSecret implements secretmanagerpb.SecretManagerServiceServer.
func (s *Server) GetSecret(_ context.Context, req *secretmanagerpb.GetSecretRequest) (*secretmanagerpb.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("GetSecret"); err != nil {
		return nil, err
	}
	sec, err := s.lookupSecret(req.GetName())
	if err != nil {
		return nil, err
	}
	return proto.Clone(sec.meta).(*secretmanagerpb.Secret), nil
}

// AddSecretVersion implements secretmanagerpb.SecretManagerServiceServer.
func (s *Server) AddSecretVersion(_ context.Context, req *secretmanagerpb.AddSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("AddSecretVersion"); err != nil {
		return nil, err
	}
	sec, err := s.lookupSecret(req.GetParent())
	if err != nil {
		return nil, err
	}
	if req.GetPayload() == nil {
		return nil, status.Errorf(codes.InvalidArgument, "Payload is required.")
	}
	data := req.GetPayload().GetData()
	if len(data) > maxPayload {
		return nil, status.Errorf(codes.InvalidArgument, "Secret Version payload is too large (%d bytes); the limit is 65536 bytes.", len(data))
	}
	if req.GetPayload().DataCrc32C != nil && req.GetPayload().GetDataCrc32C() != int64(crc32.Checksum(data, castagnoli)) {
		return nil, status.Errorf(codes.InvalidArgument, "Checksum mismatch: the data_crc32c in the request does not match the payload.")
	}
	v := s.addVersion(sec, data)
	v.meta.ClientSpecifiedPayloadChecksum = req.GetPayload().DataCrc32C != nil
	return proto.Clone(v.meta).(*secretmanagerpb.SecretVersion), nil
}

// GetSecretVersion implements secretmanagerpb.SecretManagerServiceServer.
func (s *Server) GetSecretVersion(_ context.Context, req *secretmanagerpb.GetSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("GetSecretVersion"); err != nil {
		return nil, err
	}
	v, err := s.lookupVersion(req.GetName())
	if err != nil {
		return nil, err
	}
	return proto.Clone(v.meta).(*secretmanagerpb.SecretVersion), nil
}

// AccessSecretVersion implements secretmanagerpb.SecretManagerServiceServer.
func (s *Server) AccessSecretVersion(_ context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("AccessSecretVersion"); err != nil {
		return nil, err
	}
	v, err := s.lookupVersion(req.GetName())
	if err != nil {
		return nil, err
	}
	if v.meta.State != secretmanagerpb.SecretVersion_ENABLED {
		return nil, status.Errorf(codes.FailedPrecondition, "Secret Version [%s] is in %s state.", v.meta.Name, v.meta.State)
	}
	crc := v.crc
	return &secretmanagerpb.AccessSecretVersionResponse{
		Name:    v.meta.Name,
		Payload: &secretmanagerpb.SecretPayload{Data: append([]byte(nil), v.data...), DataCrc32C: &crc},
	}, nil
}

// DisableSecretVersion implements secretmanagerpb.SecretManagerServiceServer.
func (s *Server) DisableSecretVersion(_ context.Context, req *secretmanagerpb.DisableSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	return s.setState("DisableSecretVersion", req.GetName(), secretmanagerpb.SecretVersion_DISABLED)
}

// EnableSecretVersion implements secretmanagerpb.SecretManagerServiceServer.
func (s *Server) EnableSecretVersion(_ context.Context, req *secretmanagerpb.EnableSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	return s.setState("EnableSecretVersion", req.GetName(), secretmanagerpb.SecretVersion_ENABLED)
}

func (s *Server) setState(method, name string, state secretmanagerpb.SecretVersion_State) (*secretmanagerpb.SecretVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(method); err != nil {
		return nil, err
	}
	// Google refuses aliases here: state changes name a version number.
	if m := versionRE.FindStringSubmatch(name); m != nil && m[2] == "latest" {
		return nil, status.Errorf(codes.InvalidArgument, "Invalid resource field value in the request.")
	}
	v, err := s.lookupVersion(name)
	if err != nil {
		return nil, err
	}
	v.meta.State = state
	return proto.Clone(v.meta).(*secretmanagerpb.SecretVersion), nil
}
