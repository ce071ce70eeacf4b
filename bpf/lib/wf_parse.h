/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What a packet carries: the bytes an application sent or receives. */
#ifndef WF_PARSE_H
#define WF_PARSE_H

#define WF_IPPROTO_TCP 6
#define WF_IPPROTO_UDP 17

/* IPv6 extension headers walked to reach TCP or UDP: hop-by-hop (0), routing (43) and
 * destination options (60), each (1 + its second byte) * 8 bytes long; at most WF_IP6_EXTS. */
#define WF_IP6_EXTS 4
static __always_inline int wf_ip6_ext(__u8 nexthdr)
{
	return nexthdr == 0 || nexthdr == 43 || nexthdr == 60;
}

/* Fills t from one end's addresses and ports; reverse = as the other end sees it.
 * IPv4-mapped IPv6 addresses become IPv4, so both ends agree. */
static __always_inline int wf_tuple_fill(struct wf_tuple *t, __u32 family, __u32 *la, __u32 *ra,
					 __u16 lp, __u16 rp, int reverse)
{
	__builtin_memset(t, 0, sizeof(*t));
	if (family == 10 && la[0] == 0 && la[1] == 0 && la[2] == bpf_htonl(0xffff)) {
		la[0] = la[3]; ra[0] = ra[3];
		la[1] = la[2] = la[3] = ra[1] = ra[2] = ra[3] = 0;
		family = 2;
	}
	if (family != 2 && family != 10)
		return 0;
	t->family = family;
	t->lport = reverse ? rp : lp;
	t->rport = reverse ? lp : rp;
	__builtin_memcpy(t->laddr, reverse ? ra : la, 16);
	__builtin_memcpy(t->raddr, reverse ? la : ra, 16);
	return 1;
}

/* The connection's tuple, from a socket (iterators). */
static __always_inline int wf_tuple_of(struct sock_common *skc, struct wf_tuple *t, int reverse)
{
	__u32 la[4] = {}, ra[4] = {};

	if (skc->skc_family == 2) {
		la[0] = skc->skc_rcv_saddr;
		ra[0] = skc->skc_daddr;
	} else {
		BPF_CORE_READ_INTO(&la, skc, skc_v6_rcv_saddr.in6_u.u6_addr32);
		BPF_CORE_READ_INTO(&ra, skc, skc_v6_daddr.in6_u.u6_addr32);
	}
	return wf_tuple_fill(t, skc->skc_family, la, ra, skc->skc_num, bpf_ntohs(skc->skc_dport), reverse);
}

#define WF_CTX_READ(dst, field) do { __u32 v_ = (field); asm volatile("" : "+r"(v_)); (dst) = v_; } while (0)

/* The connection's tuple, from a sockops context. */
static __always_inline int wf_tuple_of_ops(struct bpf_sock_ops *ops, struct wf_tuple *t, int reverse)
{
	__u32 la[4] = {}, ra[4] = {};

	/* Each context field is read on its own (WF_CTX_READ): the verifier refuses a
	 * pointer into the context that the compiler may otherwise form. */
	if (ops->family == 2) {
		WF_CTX_READ(la[0], ops->local_ip4);
		WF_CTX_READ(ra[0], ops->remote_ip4);
	} else {
		WF_CTX_READ(la[0], ops->local_ip6[0]); WF_CTX_READ(la[1], ops->local_ip6[1]);
		WF_CTX_READ(la[2], ops->local_ip6[2]); WF_CTX_READ(la[3], ops->local_ip6[3]);
		WF_CTX_READ(ra[0], ops->remote_ip6[0]); WF_CTX_READ(ra[1], ops->remote_ip6[1]);
		WF_CTX_READ(ra[2], ops->remote_ip6[2]); WF_CTX_READ(ra[3], ops->remote_ip6[3]);
	}
	/* remote_port holds the port in network order in its upper half */
	return wf_tuple_fill(t, ops->family, la, ra, ops->local_port, bpf_ntohl(ops->remote_port), reverse);
}

/* The connection's tuple, from the socket a packet belongs to (cgroup_skb). */
static __always_inline int wf_tuple_of_bsk(struct bpf_sock *sk, struct wf_tuple *t)
{
	__u32 la[4] = {}, ra[4] = {};

	if (sk->family == 2) {
		WF_CTX_READ(la[0], sk->src_ip4);
		WF_CTX_READ(ra[0], sk->dst_ip4);
	} else {
		WF_CTX_READ(la[0], sk->src_ip6[0]); WF_CTX_READ(la[1], sk->src_ip6[1]);
		WF_CTX_READ(la[2], sk->src_ip6[2]); WF_CTX_READ(la[3], sk->src_ip6[3]);
		WF_CTX_READ(ra[0], sk->dst_ip6[0]); WF_CTX_READ(ra[1], sk->dst_ip6[1]);
		WF_CTX_READ(ra[2], sk->dst_ip6[2]); WF_CTX_READ(ra[3], sk->dst_ip6[3]);
	}
	return wf_tuple_fill(t, sk->family, la, ra, sk->src_port, bpf_ntohs(sk->dst_port), 0);
}

/* The tuple of a packet as this end sees it (dir), from its addresses and ports. */
static __always_inline void wf_tuple_of_pkt(struct wf_tuple *t, __u32 dir, __u32 family, __u32 *src, __u32 *dst,
					    __u16 sport, __u16 dport)
{
	if (dir == WF_DIR_EGRESS)
		wf_tuple_fill(t, family, src, dst, bpf_ntohs(sport), bpf_ntohs(dport), 0);
	else
		wf_tuple_fill(t, family, dst, src, bpf_ntohs(dport), bpf_ntohs(sport), 0);
}

/* The same as wf_parse_skb, with bpf_skb_load_bytes: for headers that are not
 * all in the packet's linear part, and for IPv6 extension headers (rare: the
 * fast path leaves them here). */
static __noinline __u32 wf_parse_skb_slow(struct __sk_buff *skb, __u32 dir, struct wf_tuple *t, __u32 *proto)
{
	__u32 len = skb->len, l3, l4, src[4] = {}, dst[4] = {}, family;
	__u16 ports[2] = {};
	__u8 b[2];

	*proto = 0;
	if (bpf_skb_load_bytes(skb, 0, b, 1))
		return len;
	if ((b[0] >> 4) == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return len;
		l3 = ip.ihl * 4;
		b[1] = ip.protocol;
		src[0] = ip.saddr;
		dst[0] = ip.daddr;
		family = 2;
	} else if ((b[0] >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return len;
		l3 = 40;
		b[1] = ip6.nexthdr;
		for (int i = 0; i < WF_IP6_EXTS && wf_ip6_ext(b[1]); i++) {
			__u8 h[2];

			if (bpf_skb_load_bytes(skb, l3, h, 2))
				return len;
			b[1] = h[0];
			l3 += ((__u32)h[1] + 1) * 8;
		}
		__builtin_memcpy(src, &ip6.saddr, 16);
		__builtin_memcpy(dst, &ip6.daddr, 16);
		family = 10;
	} else {
		return len;
	}
	*proto = b[1];
	if (b[1] == WF_IPPROTO_UDP) {
		l4 = 8;
	} else if (b[1] == WF_IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, l3 + 12, b, 1))
			return len;
		l4 = (b[0] >> 4) * 4;
	} else {
		l4 = 0;
	}
	if (l4 && bpf_skb_load_bytes(skb, l3, ports, 4))
		ports[0] = ports[1] = 0;
	if (t)
		wf_tuple_of_pkt(t, dir, family, src, dst, ports[0], ports[1]);
	if (!l4)
		return len > l3 ? len - l3 : 0;
	return len > l3 + l4 ? len - l3 - l4 : 0;
}

/* What the flow of a packet is (*t as this end sees it, *proto) and its
 * payload bytes (cgroup_skb: skb->data starts at the IP header). Limits are
 * in payload bytes, so a limit of 1 MiB/s means what the receiving
 * application counts. A GSO/GRO super-packet carries one set of headers, so
 * this is exact for those too. A packet it cannot parse counts whole, with
 * an empty tuple. t may be NULL when no rule needs it (then only the length
 * and protocol are read). The headers are read in place (direct packet
 * access, about a third of the cost of bpf_skb_load_bytes per packet);
 * wf_parse_skb_slow reads them when they are not all linear. */
static __always_inline __u32 wf_parse_skb(struct __sk_buff *skb, __u32 dir, struct wf_tuple *t, __u32 *proto)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 len = skb->len, l3, hl, saddr = 0, daddr = 0;
	struct ipv6hdr *ip6 = NULL;
	__u16 sport = 0, dport = 0;
	__u8 p;
	void *l4;

	if (t)
		__builtin_memset(t, 0, sizeof(*t));
	if (data + sizeof(struct ipv6hdr) > end)
		return wf_parse_skb_slow(skb, dir, t, proto);
	if ((*(__u8 *)data >> 4) == 4) {
		struct iphdr *ip = data;

		l3 = ip->ihl * 4;
		if (l3 < sizeof(*ip))
			return wf_parse_skb_slow(skb, dir, t, proto);
		p = ip->protocol;
		saddr = ip->saddr;
		daddr = ip->daddr;
	} else if ((*(__u8 *)data >> 4) == 6) {
		ip6 = data;
		l3 = sizeof(*ip6);
		p = ip6->nexthdr;
		if (wf_ip6_ext(p))
			return wf_parse_skb_slow(skb, dir, t, proto);
	} else {
		*proto = 0;
		return len;
	}
	l4 = data + l3;
	if (p == WF_IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end)
			return wf_parse_skb_slow(skb, dir, t, proto);
		hl = l3 + th->doff * 4;
		sport = th->source;
		dport = th->dest;
	} else if (p == WF_IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			return wf_parse_skb_slow(skb, dir, t, proto);
		hl = l3 + sizeof(*uh);
		sport = uh->source;
		dport = uh->dest;
	} else {
		hl = l3;
	}
	*proto = p;
	if (t && !ip6) { /* IPv4: what wf_tuple_of_pkt writes, in place (t is zeroed above; issue 9) */
		t->family = 2;
		t->laddr[0] = dir == WF_DIR_EGRESS ? saddr : daddr;
		t->raddr[0] = dir == WF_DIR_EGRESS ? daddr : saddr;
		t->lport = bpf_ntohs(dir == WF_DIR_EGRESS ? sport : dport);
		t->rport = bpf_ntohs(dir == WF_DIR_EGRESS ? dport : sport);
	} else if (t) {
		__u32 src[4], dst[4];

		__builtin_memcpy(src, &ip6->saddr, 16);
		__builtin_memcpy(dst, &ip6->daddr, 16);
		wf_tuple_of_pkt(t, dir, 10, src, dst, sport, dport);
	}
	return len > hl ? len - hl : 0;
}

#endif
