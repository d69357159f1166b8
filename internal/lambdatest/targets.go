package lambdatest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Fault is what a target does with one call.
type Fault int

const (
	// Accept the call.
	Accept Fault = iota
	// Fail it with a server error before accepting.
	Fail
	// Hang until the caller gives up.
	Hang
	// AcceptThenFail accepts the message and answers a server error, as when the response is
	// lost: the caller cannot tell it arrived.
	AcceptThenFail
	// AcceptThenKill accepts the message and kills the function before it hears so.
	AcceptThenKill
	// KillBefore kills the function while its call is in flight, before accepting.
	KillBefore
)

// Delivery is one message a target accepted.
type Delivery struct {
	// AlertID is the alert ID it carries as an ID: the SNS message attribute alertId, or
	// the bus event detail's dedupeKey.
	AlertID string
	// Key is the dedupeKey of the alert in its body.
	Key  string
	Body string
}

// Targets fakes the alert topic (SNS Publish, AWS query protocol) and the integrations bus
// (EventBridge PutEvents, JSON 1.1) on one endpoint, set as AWS_ENDPOINT_URL_SNS and
// AWS_ENDPOINT_URL_EVENTBRIDGE.
type Targets struct {
	// URL is the endpoint.
	URL string
	// Plan decides each call's fault: target is "topic" or "bus", n counts that target's
	// calls from 1, alertID is the call's alert. Nil accepts everything.
	Plan func(target string, n int, alertID string) Fault
	// Kill kills the function under test (Function.Kill).
	Kill func()

	mu    sync.Mutex
	calls map[string]int
	got   map[string][]Delivery
}

// NewTargets serves Targets until the test ends.
func NewTargets(t testing.TB) *Targets {
	tg := &Targets{calls: map[string]int{}, got: map[string][]Delivery{}}
	srv := httptest.NewServer(tg)
	t.Cleanup(srv.Close)
	tg.URL = srv.URL
	return tg
}

// Delivered returns what target ("topic" or "bus") accepted, in order.
func (tg *Targets) Delivered(target string) []Delivery {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]Delivery(nil), tg.got[target]...)
}

// ServeHTTP implements http.Handler.
func (tg *Targets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var target, alertID string
	var entries int
	if r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" {
		var in struct {
			Entries []struct{ Detail string }
		}
		if err := json.Unmarshal(body, &in); err != nil || len(in.Entries) == 0 {
			http.Error(w, `{"__type":"ValidationException","message":"bad request"}`, http.StatusBadRequest)
			return
		}
		var detail struct {
			DedupeKey string `json:"dedupeKey"`
		}
		json.Unmarshal([]byte(in.Entries[0].Detail), &detail)
		target, alertID, body, entries = "bus", detail.DedupeKey, []byte(in.Entries[0].Detail), len(in.Entries)
	} else {
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("Action") != "Publish" {
			http.Error(w, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>", http.StatusBadRequest)
			return
		}
		for i := 1; form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) != ""; i++ {
			if form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) == "alertId" {
				alertID = form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Value.StringValue", i))
			}
		}
		target, body = "topic", []byte(form.Get("Message"))
	}
	tg.mu.Lock()
	tg.calls[target]++
	n := tg.calls[target]
	fault := Accept
	if tg.Plan != nil {
		fault = tg.Plan(target, n, alertID)
	}
	accept := func() {
		var a struct {
			DedupeKey string `json:"dedupeKey"`
		}
		json.Unmarshal(body, &a)
		tg.got[target] = append(tg.got[target], Delivery{AlertID: alertID, Key: a.DedupeKey, Body: string(body)})
	}
	if fault == Accept || fault == AcceptThenFail || fault == AcceptThenKill {
		accept()
	}
	tg.mu.Unlock()
	switch fault {
	case Accept:
		if target == "bus" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			ids := make([]string, entries)
			for i := range ids {
				ids[i] = fmt.Sprintf(`{"EventId":"ev-%d-%d"}`, n, i)
			}
			fmt.Fprintf(w, `{"FailedEntryCount":0,"Entries":[%s]}`, strings.Join(ids, ","))
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>msg-%d</MessageId></PublishResult><ResponseMetadata><RequestId>req-%d</RequestId></ResponseMetadata></PublishResponse>`, n, n)
	case Fail, AcceptThenFail:
		// Not retried by the SDK (a 400): the function sees the failure at once.
		serverError(w, target)
	case Hang:
		<-r.Context().Done()
	case AcceptThenKill, KillBefore:
		tg.Kill()
		<-r.Context().Done()
	}
}

// serverError answers an error the SDK does not retry, so that a planned failure reaches the
// function as one failure.
func serverError(w http.ResponseWriter, target string) {
	if target == "bus" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ValidationException","message":"planned failure"}`)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>planned failure</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
}
