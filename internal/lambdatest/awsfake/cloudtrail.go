package awsfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Trail is a trail's state: its logging status, settings (GetTrail, UpdateTrail), event
// selectors and Insights types.
type Trail struct {
	// IsLogging is the trail's logging status.
	IsLogging bool
	// The trail's settings, as GetTrail returns them.
	IsMultiRegionTrail, IsOrganizationTrail, IncludeGlobalServiceEvents, LogFileValidationEnabled bool
	S3BucketName, S3KeyPrefix                                                                     string
	// KmsKeyId is a key ARN: an alias given to UpdateTrail is resolved (SetKeyAlias), as
	// GetTrail returns "the KMS key ID that encrypts the logs delivered by CloudTrail. The
	// value is a fully specified ARN to a KMS key"
	// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Trail.html).
	KmsKeyId string
	// EventSelectors and AdvancedEventSelectors are the selectors as CloudTrail's JSON writes
	// them (one of the two; neither: the default of a new trail, every management event).
	EventSelectors, AdvancedEventSelectors json.RawMessage
	// InsightTypes are the Insights types enabled; none: GetInsightSelectors answers
	// InsightNotEnabledException.
	InsightTypes []string
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

// SetKeyAlias makes UpdateTrail resolve the KMS alias ARN alias to the key ARN key.
func (o *Org) SetKeyAlias(alias, key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.aliases[alias] = key
}

// jsonError answers an AWS JSON protocol error.
func jsonError(w http.ResponseWriter, contentType string, status int, code, msg string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	w.Write(b)
}

// jsonParams are a JSON body's top-level members: strings as they are, any other value as
// compact JSON.
func jsonParams(body []byte) map[string]string {
	var m map[string]json.RawMessage
	json.Unmarshal(body, &m)
	out := map[string]string{}
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		var b bytes.Buffer
		json.Compact(&b, v)
		out[k] = b.String()
	}
	return out
}

// cloudtrail serves a trail's status, settings and selectors (AWS JSON 1.1, X-Amz-Target
// CloudTrail_20131101.<Operation>:
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Operations.html):
// GetTrailStatus, StartLogging, GetTrail, UpdateTrail, GetEventSelectors, PutEventSelectors,
// GetInsightSelectors, PutInsightSelectors. The trail is Name (TrailName for the selectors'
// calls), a name or an ARN; an ARN names its account and region. A trail is found in its home
// region only, where its configuration may be changed.
func (o *Org) cloudtrail(q *request) {
	const ct = "application/x-amz-json-1.1"
	w := q.w
	target := q.r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	p := jsonParams(q.body)
	o.record(q, "cloudtrail:"+op, p)
	account, region, name := q.signer.Account(), q.region, p["Name"]
	if name == "" {
		name = p["TrailName"]
	}
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
		jsonError(w, ct, http.StatusBadRequest, "TrailNotFoundException", "Unknown trail: "+name+" for the user: "+account)
		return
	}
	arn := fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", region, account, name)
	var in struct {
		IsMultiRegionTrail, IsOrganizationTrail, IncludeGlobalServiceEvents, EnableLogFileValidation *bool
		S3BucketName, S3KeyPrefix, KmsKeyId                                                          *string
		EventSelectors, AdvancedEventSelectors                                                       json.RawMessage
		InsightSelectors                                                                             []struct{ InsightType string }
	}
	if err := json.Unmarshal(q.body, &in); err != nil {
		jsonError(w, ct, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	var out any
	switch op {
	case "GetTrailStatus":
		out = map[string]any{"IsLogging": t.IsLogging}
	case "StartLogging":
		t.IsLogging = true
		out = struct{}{}
	case "GetTrail":
		out = map[string]any{"Trail": t.describe(name, arn, region)}
	case "UpdateTrail":
		// Only the parameters given change
		// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html).
		if in.KmsKeyId != nil && strings.Contains(*in.KmsKeyId, ":alias/") {
			key, ok := o.aliases[*in.KmsKeyId]
			if !ok {
				jsonError(w, ct, http.StatusBadRequest, "KmsKeyNotFoundException", "awsfake: no key for alias "+*in.KmsKeyId)
				return
			}
			in.KmsKeyId = &key
		}
		setBool(&t.IsMultiRegionTrail, in.IsMultiRegionTrail)
		setBool(&t.IsOrganizationTrail, in.IsOrganizationTrail)
		setBool(&t.IncludeGlobalServiceEvents, in.IncludeGlobalServiceEvents)
		setBool(&t.LogFileValidationEnabled, in.EnableLogFileValidation)
		setString(&t.S3BucketName, in.S3BucketName)
		setString(&t.S3KeyPrefix, in.S3KeyPrefix)
		setString(&t.KmsKeyId, in.KmsKeyId)
		out = t.describe(name, arn, region)
	case "GetEventSelectors", "PutEventSelectors":
		if op == "PutEventSelectors" {
			// One kind or the other: "You can use either AdvancedEventSelectors or
			// EventSelectors, but not both"; putting one replaces the trail's selectors.
			if (in.EventSelectors == nil) == (in.AdvancedEventSelectors == nil) {
				jsonError(w, ct, http.StatusBadRequest, "InvalidEventSelectorsException", "awsfake: give EventSelectors or AdvancedEventSelectors")
				return
			}
			t.EventSelectors, t.AdvancedEventSelectors = in.EventSelectors, in.AdvancedEventSelectors
		}
		m := map[string]any{"TrailARN": arn}
		switch {
		case t.AdvancedEventSelectors != nil:
			m["AdvancedEventSelectors"] = t.AdvancedEventSelectors
		case t.EventSelectors != nil:
			m["EventSelectors"] = t.EventSelectors
		default:
			m["EventSelectors"] = json.RawMessage(`[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[],"ExcludeManagementEventSources":[]}]`)
		}
		out = m
	case "GetInsightSelectors", "PutInsightSelectors":
		if op == "PutInsightSelectors" {
			t.InsightTypes = nil
			for _, s := range in.InsightSelectors {
				t.InsightTypes = append(t.InsightTypes, s.InsightType)
			}
		} else if len(t.InsightTypes) == 0 {
			jsonError(w, ct, http.StatusBadRequest, "InsightNotEnabledException", "Trail "+arn+" does not have Insights enabled")
			return
		}
		sel := []map[string]string{}
		for _, it := range t.InsightTypes {
			sel = append(sel, map[string]string{"InsightType": it})
		}
		out = map[string]any{"TrailARN": arn, "InsightSelectors": sel}
	default:
		jsonError(w, ct, http.StatusBadRequest, "UnknownOperationException", "awsfake: CloudTrail does not serve "+op)
		return
	}
	w.Header().Set("Content-Type", ct)
	json.NewEncoder(w).Encode(out)
}

// describe is the trail as GetTrail and UpdateTrail return it.
func (t *Trail) describe(name, arn, region string) map[string]any {
	m := map[string]any{
		"Name": name, "TrailARN": arn, "HomeRegion": region, "IsMultiRegionTrail": t.IsMultiRegionTrail, "IsOrganizationTrail": t.IsOrganizationTrail,
		"IncludeGlobalServiceEvents": t.IncludeGlobalServiceEvents, "LogFileValidationEnabled": t.LogFileValidationEnabled,
		"S3BucketName": t.S3BucketName, "HasCustomEventSelectors": t.EventSelectors != nil || t.AdvancedEventSelectors != nil,
		"HasInsightSelectors": len(t.InsightTypes) > 0,
	}
	if t.S3KeyPrefix != "" {
		m["S3KeyPrefix"] = t.S3KeyPrefix
	}
	if t.KmsKeyId != "" {
		m["KmsKeyId"] = t.KmsKeyId
	}
	return m
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}
