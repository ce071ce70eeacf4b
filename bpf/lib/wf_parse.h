/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What a packet carries: the bytes an application sent or receives. */
#ifndef WF_PARSE_H
#define WF_PARSE_H

#define WF_IPPROTO_TCP 6
#define WF_IPPROTO_UDP 17

/*
 * Payload bytes of an IPv4/IPv6 TCP or UDP packet in a cgroup_skb program
 * (skb->data starts at the IP header). Limits are in payload bytes, so a
 * limit of 1 MiB/s means what the receiving application counts. A GSO/GRO
 * super-packet carries one set of headers, so this is exact for those too.
 * A packet it cannot parse counts whole.
 */
static __always_inline __u32 wf_payload_len(struct __sk_buff *skb)
{
	__u32 len = skb->len, l3, l4;
	__u8 b[2];

	if (bpf_skb_load_bytes(skb, 0, b, 1))
		return len;
	if ((b[0] >> 4) == 4) {
		l3 = (b[0] & 0xf) * 4;
		if (bpf_skb_load_bytes(skb, 9, &b[1], 1))
			return len;
	} else if ((b[0] >> 4) == 6) {
		l3 = 40;
		if (bpf_skb_load_bytes(skb, 6, &b[1], 1))
			return len;
	} else {
		return len;
	}
	if (b[1] == WF_IPPROTO_UDP) {
		l4 = 8;
	} else if (b[1] == WF_IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, l3 + 12, b, 1))
			return len;
		l4 = (b[0] >> 4) * 4;
	} else {
		return len;
	}
	return len > l3 + l4 ? len - l3 - l4 : 0;
}

#endif
