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
#define WF_SOL_TCP 6
#define WF_TCP_BPF_SNDCWND_CLAMP 1002
#define WF_TCP_BPF_SOCK_OPS_CB_FLAGS 1008 /* Linux 6.11 and later */

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

/*
 * A paced socket's super-packets. On a path under 0.5 ms TCP builds TSO/GSO
 * packets of up to 64 KiB whatever its pacing rate (tcp_tso_autosize adds
 * gso_max_size >> (min_rtt >> tcp_tso_rtt_log)): at 1 MiB/s one every 62 ms,
 * so a second carries 16 or 17 of them and the receiver's seconds read 0.994
 * or 1.056 (tcpdump, 2026-12-05). A super-packet never exceeds the congestion
 * window, so a slow paced socket's window is clamped to WF_PACE_BURST_US of
 * its rate, and never under four round trips of it (the rate needs one): it
 * follows the RTT at every sample (BPF_SOCK_OPS_RTT_CB, wf_sockops), so a path
 * that grows slower never holds the socket under its rate. From 6.25 MiB/s on,
 * 64 KiB is less than 10 ms of the rate and the window is left alone. The
 * clamp is lifted only when the socket is no longer paced (or faster): the
 * kernel then sets ssthresh too, and the window grows from where it is in
 * slow start, as a new connection's would.
 */
#define WF_PACE_BURST_US 10000
#define WF_PACE_CWND_MIN 4

/* The congestion window for a socket paced at rate (bytes/s), or 0 for none. */
static __always_inline __u32 wf_pace_cwnd_for(__u64 rate, __u32 srtt_us, __u32 mss)
{
	__u64 bytes, rtts;

	if (rate > 0x7fffffff || !mss) /* not paced (~0UL) */
		return 0;
	bytes = rate * WF_PACE_BURST_US / 1000000;
	if (bytes >= 65536) /* 64 KiB is under 10 ms of the rate */
		return 0;
	rtts = rate * srtt_us * 4 / 1000000;
	if (rtts > bytes)
		bytes = rtts;
	bytes = (bytes + mss - 1) / mss;
	if (bytes > 0x7fffffff)
		bytes = 0x7fffffff;
	return bytes < WF_PACE_CWND_MIN ? WF_PACE_CWND_MIN : bytes;
}

/* Turns wf_sockops' RTT samples for this socket on or off; ops is NULL in an iterator. */
static __always_inline int wf_pace_rtt_cb(void *ctx, struct bpf_sock_ops *ops, struct tcp_sock *tp, int on)
{
	int flags = tp->bpf_sock_ops_cb_flags;

	flags = on ? flags | BPF_SOCK_OPS_RTT_CB_FLAG : flags & ~BPF_SOCK_OPS_RTT_CB_FLAG;
	if (ops)
		return bpf_sock_ops_cb_flags_set(ops, flags);
	return bpf_setsockopt(ctx, WF_SOL_TCP, WF_TCP_BPF_SOCK_OPS_CB_FLAGS, &flags, sizeof(flags));
}

/* The socket's wf_sockstat, where the clamp is noted (its packets find it there, wf_handle). */
static __always_inline struct wf_sockstat *wf_pace_stat(struct tcp_sock *tp, int create)
{
	return bpf_sk_storage_get(&WF_MAP_FLOW, tp, 0, create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

/*
 * Clamps (or frees) an established socket's congestion window for pacing at
 * rate (0: not paced). ctx: a sockops context (ops) or the socket itself
 * (iter/tcp, ops NULL); both hold the socket's lock. The window is only
 * clamped where it can follow the RTT; a clamp moves when it must grow, or
 * shrink by more than a quarter (setting it also sets ssthresh).
 */
static __always_inline void wf_pace_cwnd(void *ctx, struct bpf_sock_ops *ops, struct tcp_sock *tp,
					 struct wf_sockstat *ss, __u64 rate)
{
	__u32 want = rate ? wf_pace_cwnd_for(rate, tp->srtt_us >> 3, tp->mss_cache) : 0;
	__u32 cur = tp->snd_cwnd_clamp;
	int val;

	if (!ss)
		return;
	if (!want) {
		if (!ss->cwnd)
			return;
		val = 0x7fffffff; /* as good as none: the kernel's own is ~0U, which an int cannot ask for */
		bpf_setsockopt(ctx, WF_SOL_TCP, WF_TCP_BPF_SNDCWND_CLAMP, &val, sizeof(val));
		wf_pace_rtt_cb(ctx, ops, tp, 0);
		ss->cwnd = 0;
		return;
	}
	if (!ss->cwnd) {
		if (wf_pace_rtt_cb(ctx, ops, tp, 1))
			return; /* it could not follow the RTT: leave the window alone */
		ss->cwnd = 1;
	} else if (want <= cur && want >= cur - cur / 4) {
		return;
	}
	val = want;
	bpf_setsockopt(ctx, WF_SOL_TCP, WF_TCP_BPF_SNDCWND_CLAMP, &val, sizeof(val));
}

/*
 * Is a paced socket's window above its clamp? A clamp only caps the window's
 * growth: BBR sets its window at every ACK and so meets it at once, but cubic
 * and reno leave a window that was larger alone as long as the socket does
 * not fill it, and a paced one never does. Such a socket's packets pass with a
 * congestion notification (wf_handle): TCP then takes its window to 0.7 of
 * what it was (CWR), once a round trip, until it is under the clamp.
 */
static __always_inline int wf_pace_cwnd_over(struct bpf_sock *sk)
{
	struct tcp_sock *tp = sk ? bpf_skc_to_tcp_sock(sk) : NULL;

	return tp && tp->snd_cwnd > tp->snd_cwnd_clamp;
}

#endif
