// Package s3store is the blobstore.Store on an S3-compatible object store (AWS S3, MinIO,
// Ceph RGW, SeaweedFS, versitygw), so that several registry replicas can share the blobs.
//
// Keys under s3://BUCKET/PREFIX:
//
//	PREFIX/
//	├── blobs/<alg>/<first 2 hex>/<hex>   complete, verified blobs
//	└── uploads/<id>/                     an upload session (id: lowercase hex)
//	    ├── tail-<end>                    the bytes after the last part, ending at offset <end>
//	    └── data                          the session's multipart upload, once completed
//
// Guarantees:
//
//   - A blob key only ever holds the bytes of its digest. Put writes straight to the key. A
//     sha256 blob is streamed with d as the request's signed payload hash, so the server
//     itself refuses other bytes, even a body cut short (some S3-compatible servers store a
//     body that ends early as it came). The body checks digest and size before it hands over
//     its last byte and fails the request otherwise. Other blobs go a part at a time, each
//     part signed with its own SHA-256, and a multipart upload is completed only after the
//     check. Commit copies session bytes the caller has verified.
//   - A session is an S3 multipart upload plus a tail object. The state the store hands back
//     names them: upload id, parts (number, ETag, size) and the tail's end and ETag. Part
//     numbers and the tail key follow from the state, so an Append from an older recorded
//     state overwrites what a newer, unrecorded Append wrote and never what the state names;
//     the tail is read only with its ETag and S3 checks the parts' ETags on completion, so
//     bytes of an unrecorded Append never end up in a blob. A session has no object until its
//     first Append, so one whose blob comes whole in the final request costs no request of
//     its own.
//   - Memory: an Append holds one part buffer, a multipart Put two (8 MiB, larger after every
//     thousand parts, at most 64 MiB), pooled; a sha256 Put of a known size up to 5 GiB
//     streams.
//
// A multipart Put cut off by a crash leaves an incomplete multipart upload under blobs/,
// which WalkUploads does not report: a bucket lifecycle rule (AbortIncompleteMultipartUpload)
// removes those.
//
// Any process can continue a session from its state; the caller serialises the requests of
// one session.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	// Register the hash functions go-digest looks up by algorithm.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/eopack/eopack/blobstore"
	"github.com/opencontainers/go-digest"
)

// ErrInvalidID: a session id that is not 1 to 64 lowercase hex digits. A method that needs
// the session's bytes also wraps blobstore.ErrUploadGone, since this store cannot hold them.
var ErrInvalidID = errors.New("invalid upload id")

// S3 limits: a single PUT or CopyObject holds at most 5 GiB.
const maxSingle = 5 << 30

// Store is a blobstore.Store in a bucket under a key prefix. Methods are safe for concurrent
// use, also by several processes sharing the bucket.
type Store struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	prefix  string // "" or "a/b/", ending in a slash
	// maxPut and maxCopy are the largest blob Put in one request and copied with one
	// CopyObject; copyPart is the part size of a multipart copy. Tests lower them.
	maxPut, maxCopy, copyPart int64
}

var _ blobstore.Store = (*Store)(nil)
var _ blobstore.Redirector = (*Store)(nil)

// Open opens the store at rawURL, s3://BUCKET[/PREFIX][?endpoint=URL&region=R&path-style=B]:
// endpoint for a store other than AWS S3 (then path-style addressing by default), region
// overriding the environment's. Credentials and region come from the usual AWS environment
// variables and shared files. The bucket must exist and be reachable.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("open s3 blob store: unparsable URL")
	}
	u.User = nil // never repeat a password in a message
	name := u.String()
	if u.Scheme != "s3" || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("open s3 blob store %s: want s3://BUCKET/PREFIX", name)
	}
	q := u.Query()
	endpoint, region := q.Get("endpoint"), q.Get("region")
	pathStyle := endpoint != ""
	for k := range q {
		switch k {
		case "endpoint", "region":
		case "path-style":
			if pathStyle, err = strconv.ParseBool(q.Get(k)); err != nil {
				return nil, fmt.Errorf("open s3 blob store %s: path-style: want true or false", name)
			}
		default:
			return nil, fmt.Errorf("open s3 blob store %s: unknown parameter %q", name, k)
		}
	}
	opts := []func(*config.LoadOptions) error{
		// S3-compatible stores reject or ignore the newer default checksums.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("open s3 blob store %s: %w", name, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Retryables = append(so.Retryables, retry.IsErrorRetryableFunc(conflictRetryable))
		})
	})
	s := &Store{
		client: client, presign: s3.NewPresignClient(client), bucket: u.Host,
		maxPut: maxSingle, maxCopy: maxSingle, copyPart: 512 << 20,
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		s.prefix = p + "/"
	}
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return nil, fmt.Errorf("open s3 blob store %s: bucket not reachable: %w", name, err)
	}
	return s, nil
}

// conflictRetryable also retries 409 Conflict answers to object requests: S3 uses them for
// transient conflicts (OperationAborted, ConditionalRequestConflict: "try again"), and
// stores that map keys onto a file system answer 409 while a concurrent request is creating
// or removing a folder on the key's path.
func conflictRetryable(err error) aws.Ternary {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusConflict {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// blobKey is PREFIX/blobs/<alg>/<xx>/<hex>, or an error if d is not a valid digest.
func (s *Store) blobKey(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("invalid digest %q: %v", d, err)
	}
	enc := d.Encoded()
	return s.prefix + "blobs/" + d.Algorithm().String() + "/" + enc[:2] + "/" + enc, nil
}

// uploadDir is PREFIX/uploads/<id>/, the folder of session id's objects.
func (s *Store) uploadDir(id string) string { return s.prefix + "uploads/" + id + "/" }

// tailKey is the key of session id's tail ending at offset end.
func (s *Store) tailKey(id string, end int64) string {
	return s.uploadDir(id) + "tail-" + strconv.FormatInt(end, 10)
}

// dataKey is the key of session id's multipart upload.
func (s *Store) dataKey(id string) string { return s.uploadDir(id) + "data" }

// copySource is key as CopyObject's CopySource: bucket/key, URL-encoded.
func (s *Store) copySource(key string) *string {
	parts := strings.Split(s.bucket+"/"+key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return aws.String(strings.Join(parts, "/"))
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// errorCode is the S3 error code of err ("NoSuchKey", …), or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isNotFound reports a missing object (GET answers NoSuchKey, HEAD a bare 404).
func isNotFound(err error) bool {
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return true
	case "NoSuchBucket", "NoSuchUpload":
		return false
	}
	return httpStatus(err) == 404
}

// isPrecondition reports a failed If-Match or If-None-Match.
func isPrecondition(err error) bool {
	return errorCode(err) == "PreconditionFailed" || httpStatus(err) == 412
}

// isNoUpload reports a multipart upload that is completed, aborted or never was.
func isNoUpload(err error) bool { return errorCode(err) == "NoSuchUpload" }

// notFound wraps blobstore.ErrNotFound for a missing blob, and err otherwise.
func notFound(d digest.Digest, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%s: %w", d, blobstore.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", d, err)
}

// gone wraps blobstore.ErrUploadGone for session id.
func gone(id, why string) error {
	return fmt.Errorf("upload %s: %s: %w", id, why, blobstore.ErrUploadGone)
}
