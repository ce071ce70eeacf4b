/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP pacing. A drop makes TCP wait for a 200 ms timer, so a token bucket
 * alone holds a TCP rate badly (KERNEL.md §5b). Pacing (SO_MAX_PACING_RATE,
 * honoured by TCP itself without the fq qdisc) makes the sender send at the
 * rate in the first place, and the bucket behind it seldom has to drop.
 *
 *  - egress limit: the limited process's own TCP sockets are paced;
 *  - ingress limit: the sending end of each of its connections is paced,
 *    where that end is a socket on this host (loopback, containers, veth).
 *    A remote sender cannot be paced; there the bucket polices alone.
 */
#ifndef WF_PACE_H
#define WF_PACE_H

#define WF_SOL_SOCKET 1
#define WF_SO_MAX_PACING_RATE 47

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct wf_tuple);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_PEERS SEC(".maps");

/* The pacing a rule of this direction asks for this owner's sockets, or 0. */
static __always_inline __u32 wf_pace_for(const struct wf_owner *o, __u32 dir)
{
	struct wf_rule *r = wf_rule_for(o, dir);

	if (!r || (r->flags & WF_RULE_WATCH_ONLY))
		return 0;
	return r->pace_rate;
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

/* Is the sender of this connection (t as its local receiver sees it) a paced socket on this host? */
static __always_inline int wf_tuple_paced(struct wf_tuple *t)
{
	__u32 *peer = bpf_map_lookup_elem(&WF_MAP_PEERS, t);

	return peer && (*peer & WF_PEER_PACED);
}

/* Is this received packet's sender a paced socket on this host? */
static __always_inline int wf_peer_paced(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct wf_tuple t;

	if (!sk)
		return 0;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != 6 || !wf_tuple_of_bsk(sk, &t))
		return 0;
	return wf_tuple_paced(&t);
}

/* A connection ends (it leaves ESTABLISHED): its receiver's entry goes, so a
 * busy limited server's short connections never fill wf_peers (and so keep
 * being paced). The local port is read from inet_sport: on the way to CLOSE
 * the kernel clears skc_num before the state changes. */
static __always_inline void wf_peer_forget(struct sock *sk)
{
	struct wf_tuple t;

	if (wf_tuple_of(&sk->__sk_common, &t, 0)) {
		t.lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		bpf_map_delete_elem(&WF_MAP_PEERS, &t);
	}
}

#endif
