package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// SecurityGroup is a security group's state.
type SecurityGroup struct {
	// Tags are the group's tags.
	Tags map[string]string
	// Rules are its rules.
	Rules []SecurityGroupRule
}

// SecurityGroupRule is one rule of a security group.
type SecurityGroupRule struct {
	// ID is the rule's id (sgr-...).
	ID                 string
	Egress             bool
	Protocol           string
	FromPort, ToPort   int
	CidrIPv4, CidrIPv6 string
}

func groupKey(account, region, id string) string { return account + "/" + region + "/" + id }

// SetSecurityGroup sets the state of security group id in account and region.
func (o *Org) SetSecurityGroup(account, region, id string, g SecurityGroup) {
	o.mu.Lock()
	defer o.mu.Unlock()
	g.Rules = slices.Clone(g.Rules)
	o.groups[groupKey(account, region, id)] = &g
}

// SecurityGroup returns the state of a security group.
func (o *Org) SecurityGroup(account, region, id string) SecurityGroup {
	o.mu.Lock()
	defer o.mu.Unlock()
	g := *o.groups[groupKey(account, region, id)]
	g.Rules = slices.Clone(g.Rules)
	return g
}

// ec2Error answers an EC2 error (EC2 query protocol:
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
func ec2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>r</RequestID></Response>`, code, xmlEscape(msg))
}

// indexed returns the values of a query list parameter: prefix.1, prefix.2, ...
func indexed(f map[string]string, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := f[fmt.Sprintf("%s.%d", prefix, i)]
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

// ec2 serves DescribeSecurityGroupRules (by group-id filter), DescribeSecurityGroups (by
// GroupId) and RevokeSecurityGroupIngress (by SecurityGroupRuleId), in the EC2 query protocol.
func (o *Org) ec2(q *request) {
	w := q.w
	f := form(q.body)
	op := f["Action"]
	o.record(q, "ec2:"+op, f)
	account := q.signer.Account()
	if account == "" {
		ec2Error(w, http.StatusForbidden, "UnauthorizedOperation", "awsfake: not an assumed role")
		return
	}
	const ns = `xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"`
	switch op {
	case "DescribeSecurityGroupRules":
		var ids []string
		for i := 1; f[fmt.Sprintf("Filter.%d.Name", i)] != ""; i++ {
			if f[fmt.Sprintf("Filter.%d.Name", i)] == "group-id" {
				ids = append(ids, indexed(f, fmt.Sprintf("Filter.%d.Value", i))...)
			}
		}
		var sb strings.Builder
		for _, id := range ids {
			g := o.groups[groupKey(account, q.region, id)]
			if g == nil {
				continue
			}
			for _, r := range g.Rules {
				fmt.Fprintf(&sb, `<item><securityGroupRuleId>%s</securityGroupRuleId><groupId>%s</groupId><groupOwnerId>%s</groupOwnerId><isEgress>%t</isEgress><ipProtocol>%s</ipProtocol><fromPort>%d</fromPort><toPort>%d</toPort>`,
					r.ID, id, account, r.Egress, r.Protocol, r.FromPort, r.ToPort)
				if r.CidrIPv4 != "" {
					fmt.Fprintf(&sb, `<cidrIpv4>%s</cidrIpv4>`, r.CidrIPv4)
				}
				if r.CidrIPv6 != "" {
					fmt.Fprintf(&sb, `<cidrIpv6>%s</cidrIpv6>`, r.CidrIPv6)
				}
				sb.WriteString(`</item>`)
			}
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<DescribeSecurityGroupRulesResponse %s><requestId>r</requestId><securityGroupRuleSet>%s</securityGroupRuleSet></DescribeSecurityGroupRulesResponse>`, ns, sb.String())
	case "DescribeSecurityGroups":
		var sb strings.Builder
		for _, id := range indexed(f, "GroupId") {
			g := o.groups[groupKey(account, q.region, id)]
			if g == nil {
				ec2Error(w, http.StatusBadRequest, "InvalidGroup.NotFound", fmt.Sprintf("The security group '%s' does not exist", id))
				return
			}
			fmt.Fprintf(&sb, `<item><ownerId>%s</ownerId><groupId>%s</groupId><tagSet>`, account, id)
			keys := make([]string, 0, len(g.Tags))
			for k := range g.Tags {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(&sb, `<item><key>%s</key><value>%s</value></item>`, xmlEscape(k), xmlEscape(g.Tags[k]))
			}
			sb.WriteString(`</tagSet></item>`)
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<DescribeSecurityGroupsResponse %s><requestId>r</requestId><securityGroupInfo>%s</securityGroupInfo></DescribeSecurityGroupsResponse>`, ns, sb.String())
	case "RevokeSecurityGroupIngress":
		g := o.groups[groupKey(account, q.region, f["GroupId"])]
		if g == nil {
			ec2Error(w, http.StatusBadRequest, "InvalidGroup.NotFound", fmt.Sprintf("The security group '%s' does not exist", f["GroupId"]))
			return
		}
		ids := indexed(f, "SecurityGroupRuleId")
		if len(ids) == 0 {
			// The fake serves revocation by rule id only: the responder revokes nothing else.
			ec2Error(w, http.StatusBadRequest, "MissingParameter", "awsfake: SecurityGroupRuleId is required")
			return
		}
		for _, id := range ids {
			i := slices.IndexFunc(g.Rules, func(r SecurityGroupRule) bool { return r.ID == id && !r.Egress })
			if i < 0 {
				ec2Error(w, http.StatusBadRequest, "InvalidSecurityGroupRuleId.NotFound", fmt.Sprintf("The security group rule ID '%s' does not exist", id))
				return
			}
		}
		g.Rules = slices.DeleteFunc(g.Rules, func(r SecurityGroupRule) bool { return slices.Contains(ids, r.ID) })
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<RevokeSecurityGroupIngressResponse %s><requestId>r</requestId><return>true</return></RevokeSecurityGroupIngressResponse>`, ns)
	default:
		ec2Error(w, http.StatusBadRequest, "InvalidAction", "awsfake: EC2 does not serve "+op)
	}
}
