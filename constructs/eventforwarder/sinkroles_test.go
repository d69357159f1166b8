package eventforwarder

import "testing"

func TestSinkRoleNames(t *testing.T) {
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		stream, bus := SinkRoleNames(region)
		if *stream != "trailguard-forwarder-stream-"+region || *stream != StreamRoleName(region) {
			t.Errorf("%s: stream producer role %q, want the home-region forwarders' stream role", region, *stream)
		}
		if *bus != "trailguard-forwarder-bus-*" {
			t.Errorf("%s: bus sender pattern %q, want every region's bus role", region, *bus)
		}
	}
}
