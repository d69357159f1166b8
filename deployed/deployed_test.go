package deployed

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{"valid", `{"trails":[{"name":"t","region":"eu-west-1","s3BucketName":"b","kmsKeyFromBucket":true}],"rules":[{"name":"r","homeRegion":"eu-west-1","regions":"home","eventPattern":"{}","state":"ENABLED","targets":[{"id":"x","arn":"a","roleArn":"r"}]}]}`, ""},
		{"not JSON", `{`, "deployed.json: unexpected end"},
		{"trail without a key", `{"trails":[{"name":"t","region":"eu-west-1","s3BucketName":"b"}]}`, `trails[0] ("t") needs name, region, s3BucketName and one of kmsKeyId and kmsKeyFromBucket`},
		{"trail with both keys", `{"trails":[{"name":"t","region":"eu-west-1","s3BucketName":"b","kmsKeyId":"k","kmsKeyFromBucket":true}]}`, `trails[0] ("t")`},
		{"rule with a bad pattern and regions", `{"rules":[{"name":"r","homeRegion":"eu-west-1","regions":"some","eventPattern":"{","state":"ENABLED","targets":[{}]}]}`, `rules[0] ("r") needs name, homeRegion, regions (home, other or all), a JSON eventPattern`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestDeployedLookup(t *testing.T) {
	d := &Definitions{
		Trails: []Trail{{Name: "org", Accounts: []string{"111111111111"}}, {Name: "local", ExceptAccounts: []string{"111111111111", "222222222222"}}},
		Rules:  []Rule{{Name: "stream", HomeRegion: "eu-west-1", Regions: RegionsHome}, {Name: "bus", HomeRegion: "eu-west-1", Regions: RegionsOther}, {Name: "alarms", HomeRegion: "eu-west-1", Regions: RegionsAll}},
	}
	for _, tc := range []struct {
		trail, account string
		want           bool
	}{
		{"org", "111111111111", true}, {"arn:aws:cloudtrail:eu-west-1:111111111111:trail/org", "111111111111", true}, {"org", "333333333333", false},
		{"local", "333333333333", true}, {"local", "222222222222", false}, {"other", "333333333333", false},
	} {
		if _, got := d.Trail(tc.trail, tc.account); got != tc.want {
			t.Errorf("Trail(%s, %s) = %v, want %v", tc.trail, tc.account, got, tc.want)
		}
	}
	for _, tc := range []struct {
		rule, region string
		want         bool
	}{
		{"stream", "eu-west-1", true}, {"stream", "us-east-1", false}, {"bus", "us-east-1", true}, {"bus", "eu-west-1", false},
		{"alarms", "us-east-1", true}, {"alarms", "eu-west-1", true}, {"trailguard-other", "eu-west-1", false},
	} {
		if _, got := d.Rule(tc.rule, tc.region); got != tc.want {
			t.Errorf("Rule(%s, %s) = %v, want %v", tc.rule, tc.region, got, tc.want)
		}
	}
	var none *Definitions
	if _, ok := none.Trail("org", "111111111111"); ok {
		t.Error("no definitions define a trail")
	}
}
