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

/* The pacing the matched rules ask for (the lowest), or 0 for none. A global
 * function, so that the verifier checks its loop once, not again on every
 * path of its callers. With wf_shaped_rule_id and wf_police made global too,
 * the verifier's work for the object went from 380,125 to 216,110
 * instructions (wf_sockops alone 145,105 -> 31,846), and Enable-Wirefisher,
 * which waits for it, from about 1.15 s to 0.59 s (2026-12-03); see also
 * wf_glob_owner. */
__noinline __u32 wf_pace_for(const struct wf_ids *m)
{
	__u32 want = 0;

	if (!m)
		return 0;
	for (int i = 0; i < WF_MATCH_MAX; i++) {
		__u32 rid = m->id[i];
		struct wf_rule *r;

		if (i >= m->n)
			break;
		r = bpf_map_lookup_elem(&WF_MAP_RULES, &rid);
		if (r && !(r->flags & WF_RULE_WATCH_ONLY) && r->pace_rate && (!want || r->pace_rate < want))
			want = r->pace_rate;
	}
	return want;
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
