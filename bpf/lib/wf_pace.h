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
	struct wf_rule_key key = { .kind = WF_KIND_PROCESS, .dir = dir, .id = o->tgid };
	struct wf_rule *r = bpf_map_lookup_elem(&WF_MAP_RULES, &key);

	if (!r || !wf_rule_matches(r, o) || (r->flags & WF_RULE_WATCH_ONLY))
		return 0;
	return r->pace_rate;
}

/* The connection's tuple from this end; reverse = as the other end sees it. */
static __always_inline int wf_tuple_of(struct sock_common *skc, struct wf_tuple *t, int reverse)
{
	__u32 la[4] = {}, ra[4] = {};
	__u16 lp = skc->skc_num, rp = bpf_ntohs(skc->skc_dport);

	__builtin_memset(t, 0, sizeof(*t));
	if (skc->skc_family == 2) {
		la[0] = skc->skc_rcv_saddr;
		ra[0] = skc->skc_daddr;
		t->family = 2;
	} else if (skc->skc_family == 10) {
		BPF_CORE_READ_INTO(&la, skc, skc_v6_rcv_saddr.in6_u.u6_addr32);
		BPF_CORE_READ_INTO(&ra, skc, skc_v6_daddr.in6_u.u6_addr32);
		if (la[0] == 0 && la[1] == 0 && la[2] == bpf_htonl(0xffff)) { /* IPv4-mapped */
			la[0] = la[3]; ra[0] = ra[3];
			la[1] = la[2] = la[3] = ra[1] = ra[2] = ra[3] = 0;
			t->family = 2;
		} else {
			t->family = 10;
		}
	} else {
		return 0;
	}
	t->lport = reverse ? rp : lp;
	t->rport = reverse ? lp : rp;
	__builtin_memcpy(t->laddr, reverse ? ra : la, sizeof(la));
	__builtin_memcpy(t->raddr, reverse ? la : ra, sizeof(ra));
	return 1;
}

#endif
