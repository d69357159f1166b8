package alertingtest

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// TestDynaliteOutlivesAClientKilledMidRequest: a function killed while its request is on the
// wire (what the delivery tests do on purpose) must not end the local DynamoDB for the
// functions that follow.
func TestDynaliteOutlivesAClientKilledMidRequest(t *testing.T) {
	d := StartDynalite(t)
	for range 3 {
		conn, err := net.Dial("tcp", strings.TrimPrefix(d.Endpoint, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		// Headers promising a body that never comes, then the connection is gone.
		conn.Write([]byte("POST / HTTP/1.1\r\nHost: dynamodb\r\nContent-Type: application/x-amz-json-1.0\r\n" +
			"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n{\"Lim"))
		time.Sleep(100 * time.Millisecond)
		conn.Close()
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := d.Client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("dynalite after a client went away mid-request: %v", err)
	}
}
