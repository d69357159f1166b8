"""CloudTrail record builder for trailguard's fixtures (shapes from the CloudTrail
userIdentity and record-contents references)."""
import json, uuid, datetime

ACCT = "111122223333"
ATTACKER_IP = "198.51.100.77"
UA_CLI = "aws-cli/2.22.10 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#{cmd}"
UA_BOTO = "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.54"
UA_CONSOLE = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"

def iam_user(name="legacy-ci", key="AKIAIOSFODNN7EXAMPLE"):
    return {"type": "IAMUser", "principalId": "AIDA" + name.upper().replace("-", "")[:12].ljust(12, "X") + "EXAMPLE",
            "arn": f"arn:aws:iam::{ACCT}:user/{name}", "accountId": ACCT, "accessKeyId": key, "userName": name}

def role_session(role, session, path="", key="ASIAY34FZKBOKMUTVV7A", mfa="false", created="2026-11-02T09:00:00Z", extra=None, issuer_arn=None):
    rid = "AROA" + role.upper().replace("-", "").replace("_", "")[:12].ljust(12, "X") + "EX"
    ident = {"type": "AssumedRole", "principalId": f"{rid}:{session}",
             "arn": f"arn:aws:sts::{ACCT}:assumed-role/{role}/{session}", "accountId": ACCT, "accessKeyId": key,
             "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": rid,
                                                  "arn": issuer_arn or f"arn:aws:iam::{ACCT}:role/{path}{role}",
                                                  "accountId": ACCT, "userName": role},
                                "attributes": {"creationDate": created, "mfaAuthenticated": mfa}}}
    if extra:
        ident["sessionContext"].update(extra)
    return ident

def sso(perm="AdministratorAccess", user="alice@example.com"):
    r = f"AWSReservedSSO_{perm}_0123456789abcdef"
    return role_session(r, user, issuer_arn=f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/{r}")

def cfn():
    i = role_session("cdk-hnb659fds-cfn-exec-role-111122223333-eu-west-1", "AWSCloudFormation", key="ASIAEXAMPLECFNEXEC01")
    i["invokedBy"] = "cloudformation.amazonaws.com"
    return i

def instance(role="web-app-role", iid="i-0a1b2c3d4e5f67890"):
    return role_session(role, iid, key="ASIAEXAMPLEINSTANCE1", created="2026-11-02T08:12:40Z",
                        extra={"ec2RoleDelivery": "2.0"})

def service(svc):
    return {"type": "AWSService", "invokedBy": svc}

def root():
    return {"type": "Root", "principalId": ACCT, "arn": f"arn:aws:iam::{ACCT}:root", "accountId": ACCT, "accessKeyId": ""}

class Clock:
    def __init__(self, start="2026-11-02T10:00:00Z"):
        self.t = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
    def next(self, seconds=17):
        self.t += datetime.timedelta(seconds=seconds)
        return self.t.strftime("%Y-%m-%dT%H:%M:%SZ")

def rec(clock, source, name, ident, params=None, response=None, ip=ATTACKER_IP, ua=None, region="eu-west-1",
        read_only=False, error=None, extra=None, seed=""):
    host = source.replace(".amazonaws.com", "")
    t = clock.next()
    eid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}/{source}/{name}/{t}/{json.dumps(params, sort_keys=True)}"))
    r = {"eventVersion": "1.10" if not source.startswith("signin") else "1.08", "userIdentity": ident, "eventTime": t,
         "eventSource": source, "eventName": name, "awsRegion": region, "sourceIPAddress": ip,
         "userAgent": ua or UA_CLI.format(cmd=name)}
    if error:
        r["errorCode"], r["errorMessage"] = error
    r.update({"requestParameters": params, "responseElements": response,
              "requestID": str(uuid.uuid5(uuid.NAMESPACE_DNS, eid)), "eventID": eid,
              "readOnly": read_only, "eventType": "AwsApiCall", "managementEvent": True,
              "recipientAccountId": ACCT, "eventCategory": "Management",
              "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                             "clientProvidedHostHeader": f"{host}.{region}.amazonaws.com"}})
    if ident.get("type") == "AWSService" or ip == "AWS Internal":
        r.pop("tlsDetails")
    if extra:
        r.update(extra)
    return r
