package awsfake

import (
	"net/http"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// SetQueueAlarm sets the alarm name of account in region on the SQS queue named queue (its
// QueueName dimension).
func (o *Org) SetQueueAlarm(account, region, name, queue string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alarms[trailKey(account, region, name)] = queue
}

// cloudwatch serves DescribeAlarms by AlarmNames, in the protocol the pinned SDK speaks to
// CloudWatch: Smithy RPC v2 CBOR (POST /service/GraniteServiceVersion20100801/operation/<Op>,
// smithy-protocol: rpc-v2-cbor, CBOR bodies: https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html).
// A name without an alarm is left out of MetricAlarms, as CloudWatch does.
func (o *Org) cloudwatch(q *request) {
	w := q.w
	op := q.r.URL.Path[strings.LastIndex(q.r.URL.Path, "/")+1:]
	fail := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.WriteHeader(status)
		w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(code), "message": cbor.String(msg)}))
	}
	if q.r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || !strings.HasPrefix(q.r.URL.Path, "/service/GraniteServiceVersion20100801/operation/") {
		fail(http.StatusBadRequest, "SerializationException", "awsfake: CloudWatch is served in Smithy RPC v2 CBOR")
		return
	}
	var names []string
	if len(q.body) > 0 {
		v, err := cbor.Decode(q.body)
		m, ok := v.(cbor.Map)
		if err != nil || !ok {
			fail(http.StatusBadRequest, "SerializationException", "awsfake: not a CBOR map")
			return
		}
		l, _ := m["AlarmNames"].(cbor.List)
		for _, n := range l {
			if s, ok := n.(cbor.String); ok {
				names = append(names, string(s))
			}
		}
	}
	o.record(q, "cloudwatch:"+op, map[string]string{"AlarmNames": strings.Join(names, ",")})
	account := q.signer.Account()
	if op != "DescribeAlarms" || account == "" {
		fail(http.StatusBadRequest, "InvalidAction", "awsfake: CloudWatch serves DescribeAlarms to an assumed role only")
		return
	}
	alarms := cbor.List{}
	for _, n := range names {
		queue, ok := o.alarms[trailKey(account, q.region, n)]
		if !ok {
			continue
		}
		alarms = append(alarms, cbor.Map{
			"AlarmName": cbor.String(n), "Namespace": cbor.String("AWS/SQS"), "MetricName": cbor.String("ApproximateNumberOfMessagesVisible"),
			"Dimensions": cbor.List{cbor.Map{"Name": cbor.String("QueueName"), "Value": cbor.String(queue)}},
		})
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Write(cbor.Encode(cbor.Map{"MetricAlarms": alarms}))
}
