package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// recipientKey is how a record names the account whose trail received it
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
var recipientKey = []byte(`"recipientAccountId":"`)

// learnAccounts returns the accounts that received the records of the files under paths:
// the recipientAccountId of every record. Without a config these are the organization's
// accounts for the rules: an organization trail's archive holds the records of the
// organization's accounts and of no other, since CloudTrail delivers an event to the trails
// of the accounts involved (an outside account's copy goes to that account's own trails), so
// an account a resource is shared with that received none of these records is not taken
// for the organization's. It reads the bytes only (no JSON decoding); standard input and
// files it cannot read are left to the run itself, which reports them.
func learnAccounts(paths []string) []string {
	seen := map[string]bool{}
	scan := func(path string) {
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		scanRecipients(f, seen)
	}
	for _, p := range paths {
		if p == "-" {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !fi.IsDir() {
			scan(p)
			continue
		}
		filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if rel, _ := filepath.Rel(p, path); skipPath(filepath.ToSlash(rel)) == "" {
				scan(path)
			}
			return nil
		})
	}
	accounts := make([]string, 0, len(seen))
	for a := range seen {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	return accounts
}

// scanRecipients adds the 12-digit recipientAccountId values in r (gzipped or not) to seen.
// It reads into one buffer, keeping only a key's length of each read for the next, so that it
// costs little beside the decoding the run does after it.
func scanRecipients(r io.Reader, seen map[string]bool) {
	var magic [2]byte
	n, _ := io.ReadFull(r, magic[:])
	r = io.MultiReader(bytes.NewReader(magic[:n]), r)
	if n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return
		}
		defer zr.Close()
		r = zr
	}
	const keep = 40 // more than a key and its value: what may straddle two reads
	buf := make([]byte, 1<<20)
	filled := 0
	for {
		n, err := io.ReadFull(r, buf[filled:])
		end := filled + n
		for rest := buf[:end]; ; {
			i := bytes.Index(rest, recipientKey)
			if i < 0 {
				break
			}
			v := rest[i+len(recipientKey):]
			if len(v) < 13 {
				break // completed by the next read
			}
			if v[12] == '"' && allDigits(v[:12]) {
				if _, ok := seen[string(v[:12])]; !ok {
					seen[string(v[:12])] = true
				}
			}
			rest = v
		}
		if err != nil {
			return
		}
		filled = copy(buf, buf[end-keep:end])
	}
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
