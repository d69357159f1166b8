package policy

import (
	"net/netip"
	"slices"
	"strings"
)

// The internet, as trailguard measures a set of ranges: the public
// addresses they contain. A set of ranges "opens the internet" when it
// contains at least InternetShareIPv4 public IPv4 addresses (a /12's worth,
// 1/4096 of the address space: more than any organization's own ranges,
// less than any way of writing "everyone" in a handful of ranges) or at
// least InternetShareIPv6 public /64 networks of IPv6 (a /20's worth: more
// than a large provider's allocation). Ranges are unioned first, so
// 0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1, or a dozen /8s count as what
// they are. Private and special-purpose space (RFC 1918, CGNAT, loopback,
// link-local, multicast, ULA; RFC 6890) is not counted: ingress from
// 10.0.0.0/8 is a VPC talking to itself.
const (
	InternetShareIPv4 = 1 << 20 // addresses (a /12)
	InternetShareIPv6 = 1 << 44 // /64 networks (a /20)
)

// nonPublic are the special-purpose ranges not counted as internet
// (https://www.iana.org/assignments/iana-ipv4-special-registry/ and
// https://www.iana.org/assignments/iana-ipv6-special-registry/).
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3",
		"::/8", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// span is an inclusive range of 64-bit units: IPv4 addresses, or IPv6 /64
// networks (a longer IPv6 prefix counts as the one /64 it lies in).
type span struct{ lo, hi uint64 }

func spanOf(p netip.Prefix) (span, bool) {
	p = p.Masked()
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		lo := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		return span{lo, lo + (uint64(1) << (32 - p.Bits())) - 1}, true
	}
	b := a.As16()
	var lo uint64
	for _, x := range b[:8] {
		lo = lo<<8 | uint64(x)
	}
	bits := min(p.Bits(), 64)
	size := uint64(1) << (64 - bits) // bits 0 wraps to 0: handled below
	if bits == 0 {
		return span{0, ^uint64(0)}, false
	}
	return span{lo, lo + size - 1}, false
}

// OpenAddresses returns how many public IPv4 addresses and public IPv6 /64
// networks the union of the CIDR ranges contains. Values that are not
// ranges are ignored; a bare address counts as itself.
func OpenAddresses(cidrs []string) (v4, v6 uint64) {
	var s4, s6 []span
	for _, c := range cidrs {
		p, ok := parsePrefix(c)
		if !ok {
			continue
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		sp, is4 := spanOf(p)
		if is4 {
			s4 = append(s4, sp)
		} else {
			s6 = append(s6, sp)
		}
	}
	var n4, n6 []span
	for _, p := range nonPublic {
		sp, is4 := spanOf(p)
		if is4 {
			n4 = append(n4, sp)
		} else {
			n6 = append(n6, sp)
		}
	}
	return count(union(s4), union(n4)), count(union(s6), union(n6))
}

// OpensInternet reports whether the ranges open a large share of the
// internet (see InternetShareIPv4 and InternetShareIPv6).
func OpensInternet(cidrs []string) bool {
	v4, v6 := OpenAddresses(cidrs)
	return v4 >= InternetShareIPv4 || v6 >= InternetShareIPv6
}

func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// union merges overlapping and adjacent spans, sorted.
func union(ss []span) []span {
	slices.SortFunc(ss, func(a, b span) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	var out []span
	for _, s := range ss {
		if n := len(out); n > 0 && (s.lo <= out[n-1].hi || out[n-1].hi != ^uint64(0) && s.lo == out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, s.hi)
			continue
		}
		out = append(out, s)
	}
	return out
}

// count returns the units in the spans minus those in the excluded spans
// (both unions), saturating at the top.
func count(spans, excluded []span) uint64 {
	var total uint64
	for _, s := range spans {
		n := s.hi - s.lo // one less than the size, to avoid overflow
		for _, e := range excluded {
			lo, hi := max(s.lo, e.lo), min(s.hi, e.hi)
			if lo <= hi {
				n -= hi - lo + 1
			}
		}
		if n == ^uint64(0) { // the whole span excluded
			continue
		}
		if total+n+1 < total {
			return ^uint64(0)
		}
		total += n + 1
	}
	return total
}

// PublicAddress reports whether s is an IP address outside the private and
// special-purpose ranges (a caller on the internet, or an AWS public
// address). Anything that is not an address ("AWS Internal", a service
// name) is not.
func PublicAddress(s string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
