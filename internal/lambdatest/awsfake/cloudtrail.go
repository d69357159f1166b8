package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Trail is a trail's state.
type Trail struct {
	// IsLogging is the trail's logging status.
	IsLogging bool
}

func trailKey(account, region, name string) string { return account + "/" + region + "/" + name }

// SetTrail sets the state of trail name in account and region (its home region).
func (o *Org) SetTrail(account, region, name string, t Trail) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.trails[trailKey(account, region, name)] = &t
}

// Trail returns the state of a trail.
func (o *Org) Trail(account, region, name string) Trail {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.trails[trailKey(account, region, name)]
}

// jsonError answers an AWS JSON protocol error.
func jsonError(w http.ResponseWriter, contentType string, status int, code, msg string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	w.Write(b)
}

// jsonParams are a JSON body's top-level string members.
func jsonParams(body []byte) map[string]string {
	var m map[string]any
	json.Unmarshal(body, &m)
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// cloudtrail serves GetTrailStatus and StartLogging (AWS JSON 1.1:
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartLogging.html). Name
// is the trail's name or ARN; an ARN names its account and region.
func (o *Org) cloudtrail(q *request) {
	const ct = "application/x-amz-json-1.1"
	w := q.w
	target := q.r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	p := jsonParams(q.body)
	o.record(q, "cloudtrail:"+op, p)
	account, region, name := q.signer.Account(), q.region, p["Name"]
	if account == "" {
		jsonError(w, ct, http.StatusBadRequest, "AccessDeniedException", "awsfake: not an assumed role")
		return
	}
	if rest, ok := strings.CutPrefix(name, "arn:"); ok {
		// arn:partition:cloudtrail:region:account:trail/name
		parts := strings.SplitN(rest, ":", 5)
		if len(parts) != 5 || !strings.HasPrefix(parts[4], "trail/") {
			jsonError(w, ct, http.StatusBadRequest, "InvalidTrailNameException", "not a trail ARN: "+name)
			return
		}
		if parts[3] != account {
			// Another account's trail (an organization trail seen from a member account) is
			// not the caller's to start.
			jsonError(w, ct, http.StatusBadRequest, "TrailNotFoundException", "Unknown trail: "+name+" for the user: "+account)
			return
		}
		region, name = parts[2], strings.TrimPrefix(parts[4], "trail/")
	}
	t := o.trails[trailKey(account, region, name)]
	if t == nil {
		jsonError(w, ct, http.StatusBadRequest, "TrailNotFoundException", "Unknown trail: "+p["Name"]+" for the user: "+account)
		return
	}
	w.Header().Set("Content-Type", ct)
	switch op {
	case "GetTrailStatus":
		fmt.Fprintf(w, `{"IsLogging":%t}`, t.IsLogging)
	case "StartLogging":
		t.IsLogging = true
		w.Write([]byte(`{}`))
	default:
		jsonError(w, ct, http.StatusBadRequest, "UnknownOperationException", "awsfake: CloudTrail does not serve "+op)
	}
}
