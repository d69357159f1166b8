package archiveverify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/archiveverify/archivetest"
)

// TestAgreesWithAWSCLI runs the AWS CLI's own validator, `aws cloudtrail
// validate-logs` (the reference implementation), on every scenario's
// archive and checks that trailguard's verdict is the same, or stricter
// where the scenario says why.
//
// The CLI reaches AWS only over HTTPS to *.amazonaws.com: the test runs an
// HTTPS proxy (HTTPS_PROXY) that terminates TLS with certificates of a test
// authority (AWS_CA_BUNDLE) and answers, on 127.0.0.1: S3 from the
// archive's local S3 API, CloudTrail DescribeTrails (the organization
// trail) and ListPublicKeys (the archive's keys), and Organizations
// DescribeOrganization. This works with every CLI version, whether or not
// it knows the AWS_ENDPOINT_URL_<SERVICE> variables (the Debian package's
// 2.9 does not).
func TestAgreesWithAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not installed: apt-get install awscli to cross-check with `aws cloudtrail validate-logs`")
	}
	if testing.Short() {
		t.Skip("runs the AWS CLI once per scenario")
	}
	var mu sync.Mutex
	var rows []string
	t.Cleanup(func() {
		t.Logf("agreement with %s:\n| scenario | aws cloudtrail validate-logs | trailguard archive verify |\n|---|---|---|\n%s", cli, strings.Join(rows, "\n"))
	})
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			// The CLI mostly waits on its requests: a few at once.
			t.Parallel()
			a := buildScenario(t, sc)
			if sc.tamper != nil {
				sc.tamper(t, a)
			}
			from, to := scenarioRange(sc)
			opts := options(a)
			opts.Start, opts.End = from, to
			opts.Accounts, opts.Regions = []string{acctA}, []string{region}
			opts.TrailARN = "arn:aws:cloudtrail:us-east-1:" + mgmtAccount + ":trail/" + a.Trail
			res, err := Verify(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			ours := verdict(res.OK())
			valid, out := runValidateLogs(t, cli, a, from, to)
			theirs := verdict(valid)
			want := theirs
			if sc.aws != "" {
				// Stricter, and documented: the CLI passes what we fail.
				want = "INVALID"
				if theirs != "valid" {
					t.Errorf("the scenario says the AWS CLI passes it, but it says INVALID:\n%s", out)
				}
			}
			if ours != want {
				t.Errorf("trailguard says %s, the AWS CLI %s (want %s); trailguard's problems: %v\nthe AWS CLI's output:\n%s", ours, theirs, want, res.Reports, out)
			}
			gaps := 0
			for _, rep := range res.Reports {
				gaps += len(rep.Gaps)
			}
			if theirs := strings.Count(out, "No log files were delivered by CloudTrail between"); gaps != theirs {
				t.Errorf("trailguard reports %d gaps, the AWS CLI %d:\n%s", gaps, theirs, out)
			}
			mu.Lock()
			rows = append(rows, fmt.Sprintf("| %s | %s | %s |", sc.name, theirs, ours))
			mu.Unlock()
		})
	}
}

// mgmtAccount is the organization's management account, which owns the
// organization trail.
const mgmtAccount = "999999999999"

func verdict(ok bool) string {
	if ok {
		return "valid"
	}
	return "INVALID"
}

// runValidateLogs runs `aws cloudtrail validate-logs` for account A in
// eu-west-1 of the archive's organization trail, and returns whether it
// found everything valid (exit code 0) and its output.
func runValidateLogs(t *testing.T, cli string, a *archivetest.Archive, from, to time.Time) (bool, string) {
	t.Helper()
	p := newAWSProxy(t, a)
	home := t.TempDir()
	cmd := exec.Command(cli, "cloudtrail", "validate-logs",
		"--trail-arn", "arn:aws:cloudtrail:us-east-1:"+mgmtAccount+":trail/"+a.Trail,
		"--account-id", acctA, "--region", region,
		"--start-time", from.Format(time.RFC3339), "--end-time", to.Format(time.RFC3339), "--verbose")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"HTTPS_PROXY=" + p.url, "https_proxy=" + p.url, "NO_PROXY=", "no_proxy=",
		"AWS_CA_BUNDLE=" + p.caFile,
		"AWS_ACCESS_KEY_ID=AKIAEXAMPLEFAKE", "AWS_SECRET_ACCESS_KEY=fake-secret",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_RETRY_MODE=standard", "AWS_MAX_ATTEMPTS=1",
	}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() != 1 || err != nil && !ok {
		t.Fatalf("aws cloudtrail validate-logs: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "No digests found") || strings.Contains(string(out), "Traceback") {
		t.Fatalf("the AWS CLI did not validate the archive:\n%s", out)
	}
	return err == nil, string(out)
}

// awsProxy is an HTTPS proxy standing in for AWS's endpoints.
type awsProxy struct {
	url, caFile string
}

func newAWSProxy(t *testing.T, a *archivetest.Archive) *awsProxy {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "trailguard test authority"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	certs := map[string]*tls.Certificate{}
	var serial int64 = 1
	tlsConf := &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := certs[hello.ServerName]; ok {
			return c, nil
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		serial++
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: hello.ServerName}, DNSNames: []string{hello.ServerName},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, err
		}
		c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
		certs[hello.ServerName] = c
		return c, nil
	}}
	s3URL, _ := url.Parse(a.S3URL())
	ctURL, _ := url.Parse(a.CloudTrailURL())
	s3Proxy, ctProxy := httputil.NewSingleHostReverseProxy(s3URL), httputil.NewSingleHostReverseProxy(ctURL)
	aws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := strings.Cut(r.Host, ":")
		target := r.Header.Get("X-Amz-Target")
		switch {
		case strings.HasPrefix(host, "cloudtrail."):
			if strings.HasSuffix(target, ".DescribeTrails") {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				json.NewEncoder(w).Encode(map[string]any{"trailList": []map[string]any{{
					"Name": a.Trail, "TrailARN": "arn:aws:cloudtrail:us-east-1:" + mgmtAccount + ":trail/" + a.Trail,
					"S3BucketName": a.Bucket, "HomeRegion": "us-east-1", "IsMultiRegionTrail": true,
					"IsOrganizationTrail": true, "LogFileValidationEnabled": true,
				}}})
				return
			}
			ctProxy.ServeHTTP(w, r) // ListPublicKeys
		case strings.HasPrefix(host, "organizations."):
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			json.NewEncoder(w).Encode(map[string]any{"Organization": map[string]any{
				"Id": orgID, "Arn": "arn:aws:organizations::" + mgmtAccount + ":organization/" + orgID,
				"MasterAccountId": mgmtAccount, "FeatureSet": "ALL",
			}})
		default:
			// S3: virtual-hosted bucket names become path-style.
			if i := strings.Index(host, ".s3."); i > 0 {
				r.URL.Path = "/" + host[:i] + r.URL.Path
				r.URL.RawPath = ""
			}
			r.Host = s3URL.Host
			s3Proxy.ServeHTTP(&lowerMeta{ResponseWriter: w}, r)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveConnect(conn, tlsConf, aws)
		}
	}()
	return &awsProxy{url: "http://" + ln.Addr().String(), caFile: caFile}
}

// serveConnect answers one proxy connection: a CONNECT request, then HTTPS
// inside the tunnel, served by h.
func serveConnect(conn net.Conn, conf *tls.Config, h http.Handler) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		fmt.Fprint(conn, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	fmt.Fprint(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	tc := tls.Server(conn, conf)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	srv.Serve(&oneConn{conn: tc})
}

// oneConn is a listener that hands out one connection, then waits until it
// is closed.
type oneConn struct {
	conn net.Conn
	once sync.Once
	done chan struct{}
	mu   sync.Mutex
}

func (l *oneConn) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.done == nil {
		l.done = make(chan struct{})
	}
	done := l.done
	l.mu.Unlock()
	var c net.Conn
	l.once.Do(func() { c = &closeNotify{Conn: l.conn, done: done} })
	if c != nil {
		return c, nil
	}
	<-done
	return nil, net.ErrClosed
}

func (l *oneConn) Close() error   { return nil }
func (l *oneConn) Addr() net.Addr { return l.conn.LocalAddr() }

// lowerMeta sends the x-amz-meta-* response headers in lower case, as S3
// does: Go's HTTP server writes them canonicalized (X-Amz-Meta-Signature),
// and botocore takes the metadata names from the header names as they are,
// so the CLI would find no "signature" metadata.
type lowerMeta struct {
	http.ResponseWriter
	wrote bool
}

// Unwrap returns the ResponseWriter, for http.ResponseController.
func (l *lowerMeta) Unwrap() http.ResponseWriter { return l.ResponseWriter }

func (l *lowerMeta) WriteHeader(code int) {
	l.wrote = true
	h := l.Header()
	for k, v := range h {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-meta-") && lk != k {
			delete(h, k)
			h[lk] = v
		}
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *lowerMeta) Write(b []byte) (int, error) {
	if !l.wrote {
		l.WriteHeader(http.StatusOK)
	}
	return l.ResponseWriter.Write(b)
}

// closeNotify closes done when the connection is closed.
type closeNotify struct {
	net.Conn
	done chan struct{}
	once sync.Once
}

func (c *closeNotify) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}
