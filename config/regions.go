package config

import (
	"sort"
	"strings"
)

// regionPartitions lists the AWS regions trailguard accepts and their partitions, from the AWS
// General Reference's region table. A region AWS launches later is added here.
var regionPartitions = map[string]string{
	"af-south-1":     "aws",
	"ap-east-1":      "aws",
	"ap-east-2":      "aws",
	"ap-northeast-1": "aws",
	"ap-northeast-2": "aws",
	"ap-northeast-3": "aws",
	"ap-south-1":     "aws",
	"ap-south-2":     "aws",
	"ap-southeast-1": "aws",
	"ap-southeast-2": "aws",
	"ap-southeast-3": "aws",
	"ap-southeast-4": "aws",
	"ap-southeast-5": "aws",
	"ap-southeast-6": "aws",
	"ap-southeast-7": "aws",
	"ca-central-1":   "aws",
	"ca-west-1":      "aws",
	"eu-central-1":   "aws",
	"eu-central-2":   "aws",
	"eu-north-1":     "aws",
	"eu-south-1":     "aws",
	"eu-south-2":     "aws",
	"eu-west-1":      "aws",
	"eu-west-2":      "aws",
	"eu-west-3":      "aws",
	"il-central-1":   "aws",
	"me-central-1":   "aws",
	"me-south-1":     "aws",
	"mx-central-1":   "aws",
	"sa-east-1":      "aws",
	"us-east-1":      "aws",
	"us-east-2":      "aws",
	"us-west-1":      "aws",
	"us-west-2":      "aws",
	"cn-north-1":     "aws-cn",
	"cn-northwest-1": "aws-cn",
	"us-gov-east-1":  "aws-us-gov",
	"us-gov-west-1":  "aws-us-gov",
	"eusc-de-east-1": "aws-eusc",
}

// globalEventsRegions is, per partition, the one region whose default event bus receives the
// events of the global services (IAM, STS, console sign-in, Organizations, Account Management,
// CloudFront, Route 53). A rule anywhere else never sees them: "AWS global services ... deliver
// events only to us-east-1 Region" (AWS re:Post, "Why does my EventBridge rule for IAM events
// only trigger in the us-east-1 Region?",
// https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region, and
// https://repost.aws/knowledge-center/use-eventbridge-rule-across-regions). The other
// partitions' entries are the region where CloudTrail records their global-service events.
var globalEventsRegions = map[string]string{
	"aws":        "us-east-1",
	"aws-cn":     "cn-north-1",
	"aws-us-gov": "us-gov-west-1",
	"aws-eusc":   "eusc-de-east-1",
}

// GlobalEventsRegion returns the region where EventBridge delivers the global services'
// CloudTrail events in partition ("" for an unknown partition).
func GlobalEventsRegion(partition string) string {
	return globalEventsRegions[partition]
}

// IsRegion reports whether name is an AWS region trailguard knows.
func IsRegion(name string) bool {
	_, ok := regionPartitions[name]
	return ok
}

// Partition returns the ARN partition of a known region ("aws", "aws-cn", ...).
func Partition(region string) string {
	return regionPartitions[region]
}

// closestRegion returns the known region nearest to name in edit distance, for a hint.
func closestRegion(name string) string {
	names := make([]string, 0, len(regionPartitions))
	for r := range regionPartitions {
		names = append(names, r)
	}
	sort.Strings(names)
	best, bestDist := "", 4 // suggest only near misses
	for _, r := range names {
		if d := editDistance(strings.ToLower(name), r); d < bestDist {
			best, bestDist = r, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// PartitionRegions returns the known regions of partition, sorted: the regions an
// organization trail can log in (it logs every enabled region, not only those forwarded).
func PartitionRegions(partition string) []string {
	var out []string
	for r, p := range regionPartitions {
		if p == partition {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}
