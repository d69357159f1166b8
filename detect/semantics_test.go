package detect

import (
	"encoding/json"
	"slices"
	"testing"
)

func params(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

func TestIngressOpensInternet(t *testing.T) {
	tests := []struct {
		name   string
		params string
		want   bool
	}{
		{"items form, SSH from the world", `{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`, true},
		{"list form, ports as text", `{"groupId":"sg-1","ipPermissions":[{"ipProtocol":"tcp","fromPort":"3389","toPort":"3389","ipRanges":[{"cidrIp":"0.0.0.0/1"},{"cidrIp":"128.0.0.0/1"}]}]}`, true},
		{"halves split over two rules", `{"ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/1"}]}},{"ipProtocol":"udp","fromPort":53,"toPort":53,"ipRanges":{"items":[{"cidrIp":"128.0.0.0/1"}]}}]}}`, true},
		{"IPv6 every protocol", `{"ipPermissions":{"items":[{"ipProtocol":"-1","ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}}]}}`, true},
		{"legacy form", `{"groupId":"sg-1","ipProtocol":"tcp","fromPort":5432,"toPort":5432,"cidrIp":"0.0.0.0/0"}`, true},
		{"ModifySecurityGroupRules list", `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-1","SecurityGroupRule":[{"SecurityGroupRuleId":"sgr-1","SecurityGroupRule":{"IpProtocol":"tcp","FromPort":0,"ToPort":65535,"CidrIpv4":"0.0.0.0/0"}}]}}`, true},
		{"web ports from the world", `{"ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}},{"ipProtocol":"tcp","fromPort":80,"toPort":80,"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}}]}}`, false},
		{"web port in one rule, SSH from the office in another", `{"ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}},{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"198.51.100.0/24"}]}}]}}`, false},
		{"ICMP from the world", `{"ipPermissions":{"items":[{"ipProtocol":"icmp","fromPort":-1,"toPort":-1,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`, false},
		{"from another security group", `{"ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":5432,"toPort":5432,"groups":{"items":[{"groupId":"sg-2"}]}}]}}`, false},
		{"no parameters", `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ingressOpensInternet(params(t, tt.params)); got != tt.want {
				t.Errorf("ingressOpensInternet() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInstanceTypes(t *testing.T) {
	tests := []struct {
		name   string
		params string
		want   []string
	}{
		{"RunInstances", `{"instanceType":"p4d.24xlarge","instancesSet":{"items":[{"imageId":"ami-1"}]}}`, []string{"p4d.24xlarge"}},
		{"CreateFleet overrides", `{"CreateFleetRequest":{"LaunchTemplateConfigs":{"Overrides":[{"InstanceType":"g5.xlarge"},{"InstanceType":"c7g.large"}]}}}`, []string{"c7g.large", "g5.xlarge"}},
		{"ModifyInstanceAttribute value", `{"instanceId":"i-1","instanceType":{"value":"p3.2xlarge"}}`, []string{"p3.2xlarge"}},
		{"EKS node group list", `{"nodegroupName":"gpu","instanceTypes":["g6.xlarge","g6.2xlarge"]}`, []string{"g6.2xlarge", "g6.xlarge"}},
		{"none", `{"imageId":"ami-1"}`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := instanceTypes(params(t, tt.params))
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("instanceTypes() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSemanticFunctionsInCEL checks that the functions reach conditions and
// accept what CloudTrail records hold.
func TestSemanticFunctionsInCEL(t *testing.T) {
	e := engineOf(t, `
id: r
title: R
severity: low
match: >
  eventName == "RunInstances" &&
  publicPolicy(requestParameters.?policy.orValue("")) && !publicPolicy({"Statement": []}) &&
  adminPolicy(requestParameters.?doc.orValue("")) && adminPolicyArn("arn:aws:iam::aws:policy/AdministratorAccess") &&
  opensInternet(["0.0.0.0/1", "128.0.0.0/1"]) && !opensInternet("10.0.0.0/8") &&
  publicACL({"x-amz-acl": ["public-read"]}) && publicAddress(sourceIPAddress) &&
  instanceTypes(requestParameters) == ["t3.micro"]
`)
	rec := record(t, "RunInstances", `,"requestParameters":{"instanceType":"t3.micro",`+
		`"policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}",`+
		`"doc":{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}}`)
	got, errs := e.Match(rec)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(got) != 1 {
		t.Errorf("matched %v, want the rule", matchIDs(got))
	}
}
