// Package archiveverify validates an organization trail's log archive the way
// CloudTrail's log file integrity validation defines it ("Validating
// CloudTrail log file integrity with custom implementations", CloudTrail
// User Guide,
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html),
// and agrees with the AWS CLI's validate-logs, the reference implementation
// (TestAgreesWithAWSCLI), stricter only where the documentation allows:
//
//   - each digest file is signed: its own x-amz-meta-signature is an RSA
//     signature, SHA256withRSA, over the data signing string
//
//     digestEndTime + "\n" + bucket + "/" + key + "\n" +
//     hex(SHA-256 of the uncompressed digest file) + "\n" +
//     previousDigestSignature ("null" for the first digest of a trail)
//
//     verified with the region's public key (CloudTrail ListPublicKeys) whose
//     fingerprint is the digest's digestPublicKeyFingerprint;
//
//   - digests chain: each names the previous one (previousDigestS3Object) and
//     its signature, so a deleted, replaced or added digest breaks the chain;
//     a digest whose previous fields are null starts a new chain (logging or
//     validation was off: a gap, not tampering);
//
//   - each log file a digest lists has the digest's hashValue: the SHA-256 of
//     its uncompressed content.
//
// Verify walks the organization trail's layout,
// <prefix>/AWSLogs/<org-id>/<account>/CloudTrail-Digest/<region>/<yyyy>/<mm>/<dd>/,
// for every account and region, reads digests up to an hour past the range
// (a log file delivered in the range's last minutes is listed by the next
// digest, as the AWS CLI knows), and reports digests and log files that are
// invalid, missing, out of the chain, or present but listed by no digest of
// any trail.
package archiveverify

import (
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3API is the part of the S3 client Verify uses: it only reads.
type S3API interface {
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// PublicKeysAPI is the part of a CloudTrail client Verify uses.
type PublicKeysAPI interface {
	ListPublicKeys(context.Context, *cloudtrail.ListPublicKeysInput, ...func(*cloudtrail.Options)) (*cloudtrail.ListPublicKeysOutput, error)
}

// DefaultWorkers is how many files Verify reads at once unless
// Options.Workers says otherwise.
const DefaultWorkers = 16

// Options configures Verify.
type Options struct {
	S3 S3API
	// PublicKeys returns a CloudTrail client for a region: digests are
	// signed with keys of their own region.
	PublicKeys func(region string) PublicKeysAPI
	// Bucket is the log archive bucket, Prefix the trail's S3 key prefix
	// (without the trailing slash), if any.
	Bucket, Prefix string
	// Start and End bound the digests validated, by their end time.
	Start, End time.Time
	// TrailARN, if set, restricts validation to the digests of this trail
	// (arn:aws:cloudtrail:<home-region>:<account>:trail/<name>); otherwise
	// every trail found is validated, each with its own chain.
	TrailARN string
	// Accounts and Regions, if set, restrict validation to these accounts
	// and regions (the AWS CLI's --account-id and --region).
	Accounts, Regions []string
	// Workers is how many files are read at once. Default: DefaultWorkers.
	Workers int
	// Verbose lists every file that validated in Report.Valid.
	Verbose bool
}

// Problem kinds.
const (
	DigestInvalid    = "digest signature invalid"
	DigestMissing    = "digest missing"
	DigestOutOfChain = "digest out of chain"
	DigestMoved      = "digest not at the location it names"
	DigestUnreadable = "digest unreadable"
	NoPublicKey      = "no public key for the digest"
	LogModified      = "log file modified"
	LogMissing       = "log file missing"
	LogExtra         = "log file listed by no digest"
)

// Problem is one failure of validation.
type Problem struct {
	Kind string
	// Key is the S3 key of the file concerned.
	Key    string
	Detail string
}

func (p Problem) String() string {
	s := p.Kind + ": " + p.Key
	if p.Detail != "" {
		s += " (" + p.Detail + ")"
	}
	return s
}

// Report is the validation of one account and region of one trail.
type Report struct {
	OrgID, Account, Region, Trail string
	// Digests and LogFiles count the files validated successfully.
	Digests, LogFiles int
	// Bytes counts the uncompressed bytes hashed.
	Bytes int64
	// Problems lists every failure.
	Problems []Problem
	// Gaps lists the times the chain of digests was interrupted because
	// logging or log file validation was off: no tampering, but no log
	// file of that time can be validated.
	Gaps []Gap
	// Valid lists the digest and log files that validated, if
	// Options.Verbose is set.
	Valid []string
	// Notes says what the validation could not cover but is no failure:
	// the chain going on in another bucket.
	Notes []string
}

// Gap is a time without digests between two chains of one trail: the
// trail's logging or log file validation was off (CloudTrail starts a new
// chain, its previous-digest fields null, when it is turned on again).
type Gap struct{ From, To time.Time }

// OK reports whether everything validated.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Result is the validation of the archive.
type Result struct {
	Reports []Report
	// Files and Bytes count what was read: digest and log files, their
	// compressed size.
	Files int
	Bytes int64
}

// OK reports whether every report passed and at least one digest was found.
func (r *Result) OK() bool {
	if len(r.Reports) == 0 {
		return false
	}
	for _, rep := range r.Reports {
		if !rep.OK() {
			return false
		}
	}
	return true
}

// digestName parses a digest file's name:
// <account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<yyyymmddThhmmssZ>[_backfill].json.gz
var digestName = regexp.MustCompile(`^([0-9]{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z]{2}(?:-[a-z]+)+-[0-9]+)_([0-9]{8}T[0-9]{6}Z)(_backfill)?\.json\.gz$`)

// logName parses a log file's name: <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<unique>.json.gz
var logName = regexp.MustCompile(`^([0-9]{12})_CloudTrail_([a-z0-9-]+)_([0-9]{8}T[0-9]{4}Z)_[A-Za-z0-9]+\.json\.gz$`)

// Verify validates the archive as opts describe. It returns an error only
// when it cannot do its work (listing the bucket fails); what it finds is in
// the Result.
func Verify(ctx context.Context, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if !opts.Start.Before(opts.End) {
		return nil, fmt.Errorf("start %s is not before end %s", opts.Start.Format(time.RFC3339), opts.End.Format(time.RFC3339))
	}
	var trailName, trailHome string
	if opts.TrailARN != "" {
		m := regexp.MustCompile(`^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):[0-9]{12}:trail/(.+)$`).FindStringSubmatch(opts.TrailARN)
		if m == nil {
			return nil, fmt.Errorf("%q is not a trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)", opts.TrailARN)
		}
		trailHome, trailName = m[1], m[2]
	}
	v := &verifier{opts: opts, sem: make(chan struct{}, opts.Workers), keys: map[string]map[string]*rsa.PublicKey{}}
	root := "AWSLogs/"
	if opts.Prefix != "" {
		root = strings.TrimSuffix(opts.Prefix, "/") + "/" + root
	}
	orgs, err := v.dirs(ctx, root)
	if err != nil {
		return nil, err
	}
	type target struct{ org, account, region string }
	var targets []target
	for _, o := range orgs {
		if !strings.HasPrefix(o, "o-") {
			continue // an account trail's folder, not the organization trail's
		}
		accounts, err := v.dirs(ctx, root+o+"/")
		if err != nil {
			return nil, err
		}
		for _, a := range accounts {
			if len(v.opts.Accounts) > 0 && !slices.Contains(v.opts.Accounts, a) {
				continue
			}
			regions, err := v.dirs(ctx, root+o+"/"+a+"/CloudTrail-Digest/")
			if err != nil {
				return nil, err
			}
			for _, r := range regions {
				if len(v.opts.Regions) > 0 && !slices.Contains(v.opts.Regions, r) {
					continue
				}
				targets = append(targets, target{o, a, r})
			}
		}
	}
	res := &Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for _, t := range targets {
		wg.Go(func() {
			reps, err := v.region(ctx, root+t.org+"/"+t.account+"/", t.org, t.account, t.region, trailName, trailHome)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			res.Reports = append(res.Reports, reps...)
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	slices.SortFunc(res.Reports, func(a, b Report) int {
		return strings.Compare(a.Account+a.Region+a.Trail, b.Account+b.Region+b.Trail)
	})
	res.Files, res.Bytes = int(v.files), v.bytes
	return res, nil
}

type verifier struct {
	opts Options
	sem  chan struct{}

	mu    sync.Mutex
	keys  map[string]map[string]*rsa.PublicKey // region -> fingerprint -> key
	files int64
	bytes int64
}

// dirs lists the "folders" directly under prefix.
func (v *verifier) dirs(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(v.opts.S3, &s3.ListObjectsV2Input{Bucket: &v.opts.Bucket, Prefix: &prefix, Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", v.opts.Bucket, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/"))
		}
	}
	return out, nil
}

// objects lists the objects under prefix, one folder per UTC day from
// start to end.
func (v *verifier) objects(ctx context.Context, prefix string, start, end time.Time) ([]s3types.Object, error) {
	var out []s3types.Object
	for day := start.UTC().Truncate(24 * time.Hour); !day.After(end); day = day.Add(24 * time.Hour) {
		dayPrefix := prefix + day.Format("2006/01/02/")
		p := s3.NewListObjectsV2Paginator(v.opts.S3, &s3.ListObjectsV2Input{Bucket: &v.opts.Bucket, Prefix: &dayPrefix})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list s3://%s/%s: %w", v.opts.Bucket, dayPrefix, err)
			}
			out = append(out, page.Contents...)
		}
	}
	return out, nil
}

// digestFile is a digest file's content, as CloudTrail writes it
// ("CloudTrail digest file structure", CloudTrail User Guide).
type digestFile struct {
	AWSAccountID               string    `json:"awsAccountId"`
	DigestStartTime            string    `json:"digestStartTime"`
	DigestEndTime              string    `json:"digestEndTime"`
	DigestS3Bucket             string    `json:"digestS3Bucket"`
	DigestS3Object             string    `json:"digestS3Object"`
	DigestPublicKeyFingerprint string    `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm   string    `json:"digestSignatureAlgorithm"`
	PreviousDigestS3Bucket     *string   `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object     *string   `json:"previousDigestS3Object"`
	PreviousDigestSignature    *string   `json:"previousDigestSignature"`
	LogFiles                   []logFile `json:"logFiles"`
}

type logFile struct {
	S3Bucket      string `json:"s3Bucket"`
	S3Object      string `json:"s3Object"`
	HashValue     string `json:"hashValue"`
	HashAlgorithm string `json:"hashAlgorithm"`
}

// digest is a digest file found in the bucket.
type digest struct {
	key    string
	bucket string // set only for a digest outside the archive bucket
	// end is the end time in the file name; start an hour before unless
	// the content says otherwise.
	end      time.Time
	backfill bool
	// read from S3
	raw       []byte // uncompressed
	content   *digestFile
	signature string // x-amz-meta-signature
	err       error
	// valid is set when the digest's own signature verified.
	valid bool
}

// span returns the time the digest covers: its start and end times, or
// the hour its name ends if its content is unknown.
func (d *digest) span() (start, end time.Time) {
	start, end = d.end.Add(-time.Hour), d.end
	if d.content != nil {
		if t, err := time.Parse(time.RFC3339, d.content.DigestStartTime); err == nil {
			start = t
		}
		if t, err := time.Parse(time.RFC3339, d.content.DigestEndTime); err == nil {
			end = t
		}
	}
	return start, end
}

// chainKey identifies a trail's chain of digests in one account and region.
type chainKey struct{ trail, home string }

// interval is a time a chain of digests covers without a gap.
type interval struct{ from, to time.Time }

// LogTolerance is how far from the edge of the time its digests cover a
// log file's name may be for Verify to report the file as listed by no
// digest. A log file's name carries the minute CloudTrail wrote it, which
// is not exactly the delivery window of the digest that lists it: a file
// named in a digest's last minutes can be listed by the next digest.
const LogTolerance = 15 * time.Minute

// regionState is what the trails of one account and region share: the log
// files any digest lists, which no trail may call listed by no digest.
type regionState struct {
	listed     map[string]bool // log files listed by a valid digest
	unverified map[string]bool // log files listed only by invalid digests
}

// region validates the digests and log files of one account and region,
// a Report per trail found (or only onlyTrail's).
func (v *verifier) region(ctx context.Context, acctPrefix, org, account, region, onlyTrail, onlyHome string) ([]Report, error) {
	// Digests are delivered about an hour after their end; look a day
	// beyond the range on both sides and filter by the end in the name.
	objs, err := v.objects(ctx, acctPrefix+"CloudTrail-Digest/"+region+"/", v.opts.Start.Add(-24*time.Hour), v.opts.End.Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	// Read one hour past the range, as the AWS CLI does: a log file
	// delivered in the range's last minutes is listed by the next digest.
	last := v.opts.End.Add(time.Hour)
	chains := map[chainKey][]*digest{}
	for _, o := range objs {
		key := aws.ToString(o.Key)
		m := digestName.FindStringSubmatch(key[strings.LastIndex(key, "/")+1:])
		if m == nil || m[1] != account || m[2] != region {
			continue
		}
		end, _ := time.Parse("20060102T150405Z", m[5])
		if end.Before(v.opts.Start) || end.After(last) {
			continue
		}
		ck := chainKey{m[3], m[4]}
		chains[ck] = append(chains[ck], &digest{key: key, end: end, backfill: m[6] != ""})
	}
	// Every trail's digests are read, those of trails not asked for too:
	// trails delivering to one bucket and prefix share the log folders, and
	// a file another trail's digest lists is not listed by no digest.
	var all []*digest
	for _, ds := range chains {
		all = append(all, ds...)
	}
	v.each(len(all), func(i int) {
		d := all[i]
		v.readDigest(ctx, d)
		if d.err == nil {
			d.valid = v.checkSignature(ctx, d, region, d.signature) == nil
		}
	})
	st := &regionState{listed: map[string]bool{}, unverified: map[string]bool{}}
	var reports []Report
	var spans [][]interval
	var hashed [][]logFile
	for _, ck := range slices.SortedFunc(maps.Keys(chains), func(a, b chainKey) int { return strings.Compare(a.trail+a.home, b.trail+b.home) }) {
		rep := Report{OrgID: org, Account: account, Region: region, Trail: ck.trail}
		covered, files := v.chain(ctx, &rep, st, region, chains[ck])
		if onlyTrail == "" || (ck.trail == onlyTrail && ck.home == onlyHome) {
			reports = append(reports, rep)
			spans = append(spans, covered)
			hashed = append(hashed, files)
		}
	}
	if err := v.logs(ctx, reports, spans, hashed, st, acctPrefix, region); err != nil {
		return nil, err
	}
	for i := range reports {
		slices.SortStableFunc(reports[i].Problems, func(a, b Problem) int {
			return strings.Compare(a.Kind+"\x00"+a.Key, b.Kind+"\x00"+b.Key)
		})
	}
	return reports, nil
}

// chain validates one trail's digests of an account and region, each
// against its own signature first, then their chain, as the CloudTrail
// User Guide describes it ("Validating CloudTrail log file integrity with
// custom implementations":
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html).
// It returns the times the chain covers and the log files its valid
// digests list; it records every listed file in st.
func (v *verifier) chain(ctx context.Context, rep *Report, st *regionState, region string, ds []*digest) ([]interval, []logFile) {
	slices.SortFunc(ds, func(a, b *digest) int { return a.end.Compare(b.end) })
	problem := func(kind, key, detail string) { rep.Problems = append(rep.Problems, Problem{kind, key, detail}) }
	var files []logFile
	list := func(d *digest, hash bool) {
		for _, lf := range d.content.LogFiles {
			if lf.S3Bucket != v.opts.Bucket {
				continue
			}
			if d.valid {
				st.listed[lf.S3Object] = true
				if hash {
					files = append(files, lf)
				}
			} else {
				st.unverified[lf.S3Object] = true
			}
		}
	}

	// Each digest against its own signature, in its S3 object's metadata.
	byKey := map[string]*digest{}
	var chained []*digest // not backfill, in end order
	for _, d := range ds {
		byKey[d.key] = d
		switch {
		case d.err != nil:
			problem(DigestUnreadable, d.key, d.err.Error())
		case !d.valid:
			problem(DigestInvalid, d.key, v.checkSignature(ctx, d, region, d.signature).Error())
		default:
			rep.Digests++
			v.validFile(rep, d.key)
		}
		if d.content != nil {
			list(d, true)
		}
		if !d.backfill {
			chained = append(chained, d)
		}
	}

	// Then the chain: each digest names the previous one and records its
	// signature. A digest with null previous fields starts a chain: the
	// trail's first digest, or logging or validation turned on again
	// after a stop (a gap, not tampering: "CloudTrail digest file
	// structure", starting digest file).
	named := map[string]bool{}
	var spans []interval
	for i, d := range chained {
		from, to := d.span()
		if d.content == nil || d.content.PreviousDigestS3Object == nil || d.content.PreviousDigestSignature == nil {
			// Only a valid digest proves a restart: an invalid one is
			// reported as such.
			if d.valid && i > 0 {
				_, prevEnd := chained[i-1].span()
				rep.Gaps = append(rep.Gaps, Gap{From: prevEnd, To: from})
			}
			if d.content != nil || i == 0 {
				spans = append(spans, interval{from, to})
			} else {
				spans[len(spans)-1].to = to
			}
			continue
		}
		if i == 0 {
			spans = append(spans, interval{from, to})
		} else {
			spans[len(spans)-1].to = to
		}
		c := d.content
		prevKey, prevSig := *c.PreviousDigestS3Object, *c.PreviousDigestSignature
		prevBucket := v.opts.Bucket
		if c.PreviousDigestS3Bucket != nil {
			prevBucket = *c.PreviousDigestS3Bucket
		}
		named[prevKey] = true
		prev, inRange := byKey[prevKey]
		switch {
		case inRange && prevBucket == v.opts.Bucket:
			// A valid digest's record of the previous signature is
			// authentic: a previous digest with another one was replaced
			// (stricter than the AWS CLI, which checks each signature
			// alone). An invalid digest's record proves nothing.
			if d.valid && prev.valid && prev.signature != prevSig {
				problem(DigestOutOfChain, prev.key, "its signature is not the one the next digest, "+d.key+", records: it was replaced")
			}
		case prevBucket != v.opts.Bucket || (i == 0 && nameEnd(prevKey).Before(v.opts.Start)):
			// Outside the range or the bucket: the chain must go on there
			// (stricter than the AWS CLI, which stops at the range's start).
			if !d.valid {
				break
			}
			p, err := v.previous(ctx, prevBucket, prevKey, prevSig, region)
			if err != nil {
				problem(DigestMissing, prevKey, err.Error())
				break
			}
			if prevBucket == v.opts.Bucket {
				list(p, false)
				spans[len(spans)-1].from, _ = p.span()
			} else {
				_, pEnd := p.span()
				rep.Notes = append(rep.Notes, fmt.Sprintf("the trail delivered to s3://%s until %s (its previous digest there is valid): validate that bucket for the time before", prevBucket, pEnd.Format(time.RFC3339)))
			}
		default:
			problem(DigestMissing, prevKey, "named as previous digest by "+d.key)
		}
	}
	// A digest no later digest names is out of the chain, unless it is the
	// newest, the last before a gap, or the next digest names one that is
	// missing (then it is the missing one's predecessor).
	for i, d := range chained[:max(len(chained)-1, 0)] {
		next := chained[i+1]
		if named[d.key] || next.content == nil || next.content.PreviousDigestS3Object == nil {
			continue
		}
		if _, ok := byKey[*next.content.PreviousDigestS3Object]; ok {
			problem(DigestOutOfChain, d.key, "no later digest names it as its previous one")
		}
	}
	return spans, files
}

// nameEnd returns the end time in a digest file's name, or the zero time.
func nameEnd(key string) time.Time {
	m := digestName.FindStringSubmatch(key[strings.LastIndex(key, "/")+1:])
	if m == nil {
		return time.Time{}
	}
	t, _ := time.Parse("20060102T150405Z", m[5])
	return t
}

// validFile records a file that validated, for Options.Verbose.
func (v *verifier) validFile(rep *Report, key string) {
	if v.opts.Verbose {
		rep.Valid = append(rep.Valid, key)
	}
}

// logs hashes the log files each report's valid digests list, and reports
// the log files in the range that no digest lists, within the time a
// trail's chain covers (LogTolerance from its edges).
//
// Log files listed only by invalid digests are not hashed and not reported:
// their digest's problem is.
func (v *verifier) logs(ctx context.Context, reps []Report, spans [][]interval, hashed [][]logFile, st *regionState, acctPrefix, region string) error {
	seen := map[string]bool{}
	type job struct {
		rep int
		lf  logFile
	}
	var jobs []job
	for i, files := range hashed {
		for _, lf := range files {
			if !seen[lf.S3Object] {
				seen[lf.S3Object] = true
				jobs = append(jobs, job{i, lf})
			}
		}
	}
	var mu sync.Mutex
	v.each(len(jobs), func(i int) {
		j := jobs[i]
		kind, detail, n := v.checkLog(ctx, j.lf)
		mu.Lock()
		defer mu.Unlock()
		rep := &reps[j.rep]
		if kind != "" {
			rep.Problems = append(rep.Problems, Problem{kind, j.lf.S3Object, detail})
			return
		}
		rep.LogFiles++
		rep.Bytes += n
		v.validFile(rep, j.lf.S3Object)
	})
	if len(reps) == 0 {
		return nil
	}
	objs, err := v.objects(ctx, acctPrefix+"CloudTrail/"+region+"/", v.opts.Start, v.opts.End)
	if err != nil {
		return err
	}
	inside := func(t time.Time) int {
		for i, ss := range spans {
			for _, s := range ss {
				if !t.Add(-LogTolerance).Before(s.from) && !t.Add(LogTolerance).After(s.to) {
					return i
				}
			}
		}
		return -1
	}
	for _, o := range objs {
		key := aws.ToString(o.Key)
		if st.listed[key] || st.unverified[key] {
			continue
		}
		m := logName.FindStringSubmatch(key[strings.LastIndex(key, "/")+1:])
		if m == nil {
			reps[0].Problems = append(reps[0].Problems, Problem{LogExtra, key, "not a CloudTrail log file name"})
			continue
		}
		t, err := time.Parse("20060102T1504Z", m[3])
		if err != nil || t.Before(v.opts.Start) || t.After(v.opts.End) {
			continue
		}
		if i := inside(t); i >= 0 {
			reps[i].Problems = append(reps[i].Problems, Problem{LogExtra, key, "named within the time the trail's chain of digests covers, and listed by no digest"})
		}
	}
	return nil
}

// readDigest fetches a digest file and its metadata signature.
func (v *verifier) readDigest(ctx context.Context, d *digest) {
	if d.bucket == "" {
		d.bucket = v.opts.Bucket
	}
	out, err := v.opts.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &d.bucket, Key: &d.key})
	if err != nil {
		d.err = err
		return
	}
	defer out.Body.Close()
	for k, val := range out.Metadata {
		if strings.EqualFold(k, "signature") {
			d.signature = val
		}
	}
	raw, n, err := gunzip(out.Body)
	v.count(n)
	if err != nil {
		d.err = err
		return
	}
	var c digestFile
	if err := json.Unmarshal(raw, &c); err != nil {
		d.err = fmt.Errorf("not a digest file: %v", err)
		return
	}
	d.raw, d.content = raw, &c
}

func (v *verifier) count(compressed int64) {
	v.mu.Lock()
	v.files++
	v.bytes += compressed
	v.mu.Unlock()
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// gunzip returns the uncompressed content of a gzipped body and its
// compressed size.
func gunzip(r io.Reader) ([]byte, int64, error) {
	cr := &countReader{r: r}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return nil, cr.n, fmt.Errorf("not gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, cr.n, fmt.Errorf("not gzip: %v", err)
	}
	return raw, cr.n, nil
}

// signingString returns a digest's data signing string, as CloudTrail signs
// it.
func signingString(c *digestFile, raw []byte) string {
	prev := "null"
	if c.PreviousDigestSignature != nil {
		prev = *c.PreviousDigestSignature
	}
	sum := sha256.Sum256(raw)
	return c.DigestEndTime + "\n" + c.DigestS3Bucket + "/" + c.DigestS3Object + "\n" + hex.EncodeToString(sum[:]) + "\n" + prev
}

// checkSignature verifies a digest's location and its signature sig.
func (v *verifier) checkSignature(ctx context.Context, d *digest, region, sig string) error {
	c := d.content
	if c.DigestS3Bucket != d.bucket || c.DigestS3Object != d.key {
		return fmt.Errorf("%s: it names s3://%s/%s", DigestMoved, c.DigestS3Bucket, c.DigestS3Object)
	}
	if c.DigestSignatureAlgorithm != "SHA256withRSA" {
		return fmt.Errorf("unknown signature algorithm %q", c.DigestSignatureAlgorithm)
	}
	key, err := v.publicKey(ctx, region, c.DigestPublicKeyFingerprint)
	if err != nil {
		return err
	}
	sigBytes, err := hex.DecodeString(sig)
	if err != nil || sig == "" {
		return errors.New("no hex signature")
	}
	sum := sha256.Sum256([]byte(signingString(c, d.raw)))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sigBytes); err != nil {
		return errors.New("the signature does not match the digest: it was modified, or not signed by CloudTrail")
	}
	return nil
}

// previous reads the digest a digest in the range names as its previous one
// when it lies outside the range (before it, or in another bucket), and
// checks that it exists, has the signature the next digest records, and
// is signed by CloudTrail.
func (v *verifier) previous(ctx context.Context, bucket, key, sig, region string) (*digest, error) {
	d := &digest{key: key, bucket: bucket}
	v.readDigest(ctx, d)
	where := "the digest before the range"
	if bucket != v.opts.Bucket {
		where = "the previous digest, in s3://" + bucket + " (the trail's bucket changed),"
	}
	switch {
	case d.err != nil:
		return nil, fmt.Errorf("%s is missing or unreadable: %v", where, d.err)
	case d.signature != sig:
		return nil, fmt.Errorf("%s has another signature than the next digest records", where)
	}
	if err := v.checkSignature(ctx, d, region, sig); err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	return d, nil
}

// publicKey returns the region's digest signing key with a fingerprint.
func (v *verifier) publicKey(ctx context.Context, region, fingerprint string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	keys, ok := v.keys[region]
	v.mu.Unlock()
	if !ok {
		keys = map[string]*rsa.PublicKey{}
		out, err := v.opts.PublicKeys(region).ListPublicKeys(ctx, &cloudtrail.ListPublicKeysInput{
			StartTime: aws.Time(v.opts.Start.Add(-24 * time.Hour)),
			EndTime:   aws.Time(v.opts.End.Add(24 * time.Hour)),
		})
		if err != nil {
			return nil, fmt.Errorf("list the public keys of %s: %v", region, err)
		}
		for _, k := range out.PublicKeyList {
			// The key is DER-encoded in PKCS #1 format.
			pub, err := x509.ParsePKCS1PublicKey(k.Value)
			if err != nil {
				continue
			}
			keys[aws.ToString(k.Fingerprint)] = pub
		}
		v.mu.Lock()
		v.keys[region] = keys
		v.mu.Unlock()
	}
	if k, ok := keys[fingerprint]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%s: CloudTrail lists no key %q in %s", NoPublicKey, fingerprint, region)
}

// checkLog fetches a log file and compares the SHA-256 of its uncompressed
// content with the digest's.
func (v *verifier) checkLog(ctx context.Context, lf logFile) (kind, detail string, size int64) {
	if !strings.EqualFold(lf.HashAlgorithm, "SHA-256") {
		return LogModified, fmt.Sprintf("unknown hash algorithm %q", lf.HashAlgorithm), 0
	}
	out, err := v.opts.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &v.opts.Bucket, Key: &lf.S3Object})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) || strings.Contains(err.Error(), "StatusCode: 404") {
			return LogMissing, "", 0
		}
		return LogMissing, err.Error(), 0
	}
	defer out.Body.Close()
	cr := &countReader{r: out.Body}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		v.count(cr.n)
		return LogModified, "not gzip", 0
	}
	h := sha256.New()
	n, err := io.Copy(h, zr)
	v.count(cr.n)
	if err != nil {
		return LogModified, "not gzip: " + err.Error(), 0
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(lf.HashValue) {
		return LogModified, "SHA-256 " + got + ", digest says " + lf.HashValue, 0
	}
	return "", "", n
}

// each calls fn for 0..n-1, at most Workers at once (shared by all calls).
func (v *verifier) each(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		v.sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-v.sem }()
			fn(i)
		})
	}
	wg.Wait()
}
