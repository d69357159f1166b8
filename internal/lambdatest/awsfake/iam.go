package awsfake

import (
	"fmt"
	"net/http"
	"strings"
)

// AccessKey is an IAM user's access key.
type AccessKey struct {
	// ID is the access key id; Status "Active" or "Inactive".
	ID, Status string
}

// SetAccessKeys sets the access keys of user in account.
func (o *Org) SetAccessKeys(account, user string, keys ...AccessKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ks []*AccessKey
	for _, k := range keys {
		ks = append(ks, &k)
	}
	o.users[account+"/"+user] = ks
}

// AccessKeys returns the access keys of user in account.
func (o *Org) AccessKeys(account, user string) []AccessKey {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []AccessKey
	for _, k := range o.users[account+"/"+user] {
		out = append(out, *k)
	}
	return out
}

// iam serves ListAccessKeys and UpdateAccessKey (AWS query protocol:
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html).
func (o *Org) iam(q *request) {
	w := q.w
	f := form(q.body)
	op := f["Action"]
	o.record(q, "iam:"+op, f)
	account := q.signer.Account()
	if account == "" {
		queryError(w, http.StatusForbidden, "AccessDenied", "awsfake: not an assumed role")
		return
	}
	keys, ok := o.users[account+"/"+f["UserName"]]
	if !ok && (op == "ListAccessKeys" || op == "UpdateAccessKey") {
		queryError(w, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", f["UserName"]))
		return
	}
	const ns = `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`
	w.Header().Set("Content-Type", "text/xml")
	switch op {
	case "ListAccessKeys":
		var sb strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&sb, `<member><UserName>%s</UserName><AccessKeyId>%s</AccessKeyId><Status>%s</Status><CreateDate>2026-12-06T10:00:00Z</CreateDate></member>`, xmlEscape(f["UserName"]), k.ID, k.Status)
		}
		fmt.Fprintf(w, `<ListAccessKeysResponse %s><ListAccessKeysResult><AccessKeyMetadata>%s</AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListAccessKeysResponse>`, ns, sb.String())
	case "UpdateAccessKey":
		if f["Status"] != "Active" && f["Status"] != "Inactive" {
			queryError(w, http.StatusBadRequest, "ValidationError", "Status must be Active or Inactive")
			return
		}
		for _, k := range keys {
			if k.ID == f["AccessKeyId"] {
				k.Status = f["Status"]
				fmt.Fprintf(w, `<UpdateAccessKeyResponse %s><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></UpdateAccessKeyResponse>`, ns)
				return
			}
		}
		queryError(w, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The Access Key with id %s cannot be found.", f["AccessKeyId"]))
	default:
		queryError(w, http.StatusBadRequest, "InvalidAction", "awsfake: IAM does not serve "+op)
	}
}
