package quota

import "strings"

// kind models what Ref and Fn::GetAtt return for one resource type: enough to render the
// names and ARNs that policies and patterns contain at their longest.
type kind struct {
	// nameProp is the property that names the resource, "" when it has none.
	nameProp string
	// maxName is the longest name the service accepts: what a generated name is cut to.
	maxName int
	// lower is set when generated names are lowercase (S3).
	lower bool
	// refReturns says what Ref returns: "name", "arn", "id" or "url".
	refReturns string
	// arn renders the resource's ARN from its name (or id).
	arn func(e Env, name string, res *resource) string
	// id is the length of the service-assigned id Ref returns when refReturns is "id".
	id int
}

func arnf(service string, regional bool, prefix string) func(Env, string, *resource) string {
	return func(e Env, name string, _ *resource) string {
		region, account := "", e.AccountID
		if regional {
			region = e.Region
		}
		return "arn:" + e.Partition + ":" + service + ":" + region + ":" + account + ":" + prefix + name
	}
}

func iamARN(what string) func(Env, string, *resource) string {
	return func(e Env, name string, res *resource) string {
		path := "/"
		if p, ok := res.Properties["Path"].(string); ok {
			path = p
		}
		return "arn:" + e.Partition + ":iam::" + e.AccountID + ":" + what + path + name
	}
}

var kinds = map[string]kind{
	"AWS::S3::Bucket": {nameProp: "BucketName", maxName: 63, lower: true, refReturns: "name",
		arn: func(e Env, name string, _ *resource) string { return "arn:" + e.Partition + ":s3:::" + name }},
	"AWS::IAM::Role":            {nameProp: "RoleName", maxName: 64, refReturns: "name", arn: iamARN("role")},
	"AWS::IAM::ManagedPolicy":   {nameProp: "ManagedPolicyName", maxName: 128, refReturns: "arn", arn: iamARN("policy")},
	"AWS::IAM::Policy":          {nameProp: "PolicyName", maxName: 128, refReturns: "name"},
	"AWS::IAM::InstanceProfile": {nameProp: "InstanceProfileName", maxName: 128, refReturns: "name", arn: iamARN("instance-profile")},
	"AWS::KMS::Key":             {maxName: 36, refReturns: "id", id: 36, arn: arnf("kms", true, "key/")},
	"AWS::KMS::Alias":           {nameProp: "AliasName", maxName: 256, refReturns: "name", arn: arnf("kms", true, "")},
	"AWS::SQS::Queue":           {nameProp: "QueueName", maxName: 80, refReturns: "url", arn: arnf("sqs", true, "")},
	"AWS::SNS::Topic":           {nameProp: "TopicName", maxName: 256, refReturns: "arn", arn: arnf("sns", true, "")},
	"AWS::Kinesis::Stream":      {nameProp: "Name", maxName: 128, refReturns: "name", arn: arnf("kinesis", true, "stream/")},
	"AWS::Events::EventBus":     {nameProp: "Name", maxName: 256, refReturns: "name", arn: arnf("events", true, "event-bus/")},
	"AWS::Events::Rule": {nameProp: "Name", maxName: 64, refReturns: "name",
		arn: func(e Env, name string, res *resource) string {
			bus := ""
			if b, ok := res.Properties["EventBusName"].(string); ok && b != "default" {
				bus = b + "/"
			}
			return "arn:" + e.Partition + ":events:" + e.Region + ":" + e.AccountID + ":rule/" + bus + name
		}},
	"AWS::Logs::LogGroup": {nameProp: "LogGroupName", maxName: 512, refReturns: "name",
		arn: func(e Env, name string, _ *resource) string {
			return "arn:" + e.Partition + ":logs:" + e.Region + ":" + e.AccountID + ":log-group:" + name + ":*"
		}},
	"AWS::CloudTrail::Trail":     {nameProp: "TrailName", maxName: 128, refReturns: "name", arn: arnf("cloudtrail", true, "trail/")},
	"AWS::CloudWatch::Alarm":     {nameProp: "AlarmName", maxName: 255, refReturns: "name", arn: arnf("cloudwatch", true, "alarm:")},
	"AWS::Lambda::Function":      {nameProp: "FunctionName", maxName: 64, refReturns: "name", arn: arnf("lambda", true, "function:")},
	"AWS::Organizations::Policy": {nameProp: "Name", maxName: 128, refReturns: "id", id: 10, arn: arnf("organizations", false, "policy/o-"+placeholder(32)+"/service_control_policy/")},
	"AWS::CloudFormation::Stack": {maxName: 128, refReturns: "arn", arn: arnf("cloudformation", true, "stack/")},
	"AWS::CloudFormation::StackSet": {nameProp: "StackSetName", maxName: 128, refReturns: "name",
		arn: arnf("cloudformation", true, "stackset/")},
}

// kindOf returns the model of type typ; types without one get a generic model whose names
// and ARNs are long (128-character names).
func kindOf(typ string) kind {
	if k, ok := kinds[typ]; ok {
		return k
	}
	service := "unknown"
	if parts := strings.Split(typ, "::"); len(parts) == 3 {
		service = strings.ToLower(parts[1])
	}
	return kind{maxName: 128, refReturns: "name", arn: arnf(service, true, strings.ToLower(typ[strings.LastIndex(typ, ":")+1:])+"/")}
}

func (k kind) ref(r *renderer, id string) any {
	switch k.refReturns {
	case "arn":
		return k.arnOf(r, id)
	case "id":
		return placeholder(k.id)
	case "url":
		return "https://sqs." + r.env.Region + "." + r.env.URLSuffix + "/" + r.env.AccountID + "/" + r.name(id)
	}
	return r.name(id)
}

func (k kind) arnOf(r *renderer, id string) string {
	res := r.t.Resources[id]
	name := r.name(id)
	if k.refReturns == "id" {
		name = placeholder(k.id)
	}
	if k.arn == nil {
		return kindOf("").arn(r.env, name, res)
	}
	return k.arn(r.env, name, res)
}

func (k kind) attr(r *renderer, id, attr string) any {
	switch {
	case attr == "Arn" || strings.HasSuffix(attr, "Arn"):
		return k.arnOf(r, id)
	case attr == "QueueUrl":
		return kind{refReturns: "url"}.ref(r, id)
	case attr == "KeyId" || attr == "Id" || attr == "PolicyId":
		return placeholder(max(k.id, 36))
	case attr == "RoleId":
		return placeholder(21) // AROA + 17
	case attr == "Name" || strings.HasSuffix(attr, "Name"):
		return r.name(id)
	case attr == "DomainName" || attr == "RegionalDomainName":
		return r.name(id) + ".s3." + r.env.Region + "." + r.env.URLSuffix
	}
	return placeholder(placeholderLen)
}
