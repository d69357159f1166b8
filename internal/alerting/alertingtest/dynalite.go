package alertingtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Dynalite is a local DynamoDB: dynalite (the npm package pinned in package-lock.json, an
// implementation of DynamoDB's API written apart from this project), started for one test.
type Dynalite struct {
	// Endpoint is its URL, for AWS_ENDPOINT_URL_DYNAMODB or a client's BaseEndpoint.
	Endpoint string
	// Client is a DynamoDB client of the AWS SDK for it.
	Client *dynamodb.Client
}

// StartDynalite starts dynalite from the module's node_modules (installed by `make deps`)
// and stops it when the test ends. Without it the test fails under CI and is skipped
// elsewhere, with how to install it.
func StartDynalite(t testing.TB) *Dynalite {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(root, "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		msg := "dynalite is not installed: run `make deps` (npm ci) in " + root
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node := filepath.Join(root, "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		node = "node"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	// dynalite throws from its request's error handler when a client goes away mid-request,
	// which ends the whole server; DynamoDB outlives its clients, and the tests kill
	// functions mid-call on purpose. So a reset connection is ignored, anything else still
	// ends it.
	guard := `process.on('uncaughtException', e => { if (e && e.code === 'ECONNRESET') return; console.error(e); process.exit(1) });` +
		`process.argv.splice(1, 0, 'dynalite'); require(process.env.TRAILGUARD_DYNALITE_CLI)`
	cmd := exec.Command(node, "-e", guard, "--", "--port", fmt.Sprint(port), "--host", "127.0.0.1")
	cmd.Env = append(os.Environ(), "TRAILGUARD_DYNALITE_CLI="+cli)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dynalite: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening") {
				ready <- nil
				break
			}
		}
		ready <- fmt.Errorf("dynalite exited before listening")
		for sc.Scan() {
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dynalite did not start within 30 s")
	}
	d := &Dynalite{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	d.Client = dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(d.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local", ""),
	})
	return d
}

// CreateTable creates a table whose partition key is the string attribute key, billed per
// request, and waits until it is active.
func (d *Dynalite) CreateTable(t testing.TB, name, key string) {
	t.Helper()
	ctx := context.Background()
	_, err := d.Client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(key), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(d.Client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
