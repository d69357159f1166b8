package orgscope

// awsOwned are AWS accounts that AWS documents as acting for one of its services: a policy that
// names one lets that service deliver or act for its feature, not a stranger. Each entry cites
// the page that lists it; an account AWS does not document is never here.
var awsOwned = map[string]string{}

// Services of the AWS-owned accounts.
const (
	// ServiceELBLogDelivery is Elastic Load Balancing writing access logs to a bucket.
	ServiceELBLogDelivery = "elasticloadbalancing"
)

// elbLogDeliveryAccounts are the Elastic Load Balancing accounts that write access logs, by
// region, for the regions opened before August 2022 (newer regions use the service principal
// logdelivery.elasticloadbalancing.amazonaws.com instead):
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy
// and https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-access-logs.html#attach-bucket-policy
var elbLogDeliveryAccounts = map[string]string{
	"us-east-1":      "127311923021",
	"us-east-2":      "033677994240",
	"us-west-1":      "027434742980",
	"us-west-2":      "797873946194",
	"af-south-1":     "098369216593",
	"ap-east-1":      "754344448648",
	"ap-southeast-3": "589379963580",
	"ap-south-1":     "718504428378",
	"ap-northeast-3": "383597477331",
	"ap-northeast-2": "600734575887",
	"ap-southeast-1": "114774131450",
	"ap-southeast-2": "783225319266",
	"ap-northeast-1": "582318560864",
	"ca-central-1":   "985666609251",
	"eu-central-1":   "054676820928",
	"eu-west-1":      "156460612806",
	"eu-west-2":      "652711504416",
	"eu-south-1":     "635631232127",
	"eu-west-3":      "009996457667",
	"eu-north-1":     "897822967062",
	"me-south-1":     "076674570225",
	"sa-east-1":      "507241528517",
	"us-gov-west-1":  "048591011584",
	"us-gov-east-1":  "190560391635",
	"cn-north-1":     "638102146993",
	"cn-northwest-1": "037604701340",
}

func init() {
	for _, a := range elbLogDeliveryAccounts {
		awsOwned[a] = ServiceELBLogDelivery
	}
}

// AWSOwnedAccount returns the service an AWS-owned account acts for, when AWS documents the
// account (see awsOwned), and whether it does.
func AWSOwnedAccount(account string) (service string, ok bool) {
	service, ok = awsOwned[account]
	return service, ok
}

// ELBLogDeliveryAccount returns the Elastic Load Balancing log delivery account of region, or
// "" for a region that uses the service principal instead.
func ELBLogDeliveryAccount(region string) string { return elbLogDeliveryAccounts[region] }
