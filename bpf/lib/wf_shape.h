/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Ingress shaping for TCP senders this host cannot pace (a download from
 * another machine). Dropping makes such a sender lose and recover; queueing
 * makes it see delay and slow down by itself (KERNEL.md §9). So wf_shape_in,
 * a tcx ingress program on each shaped device, finds the socket a TCP packet
 * is for (bpf_sk_lookup_tcp), its owner and rule, and redirects it into the
 * namespace's ifb device with skb->priority naming the rule's htb leaf (see
 * WF_SHAPE_* in wirefisher.h). The ifb hands it back to the device's receive
 * path once htb lets it go, past tcx (the kernel skips tc on re-injected packets).
 *
 * Not redirected (they pass as if Wirefisher were not there): a device not in
 * wf_devs, anything but TCP over IPv4/IPv6 without extension headers,
 * fragments, packets without payload (ACKs, handshakes), packets with no
 * socket, owner or shaped rule, and connections whose sender is paced.
 */
#ifndef WF_SHAPE_H
#define WF_SHAPE_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct wf_dev_key);
	__type(value, struct wf_dev);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_DEVS SEC(".maps");

/* The shaped device a tc program runs on (wf_devs: its ifb and header length), or NULL. */
static __always_inline struct wf_dev *wf_shaped_dev(struct __sk_buff *skb)
{
	struct wf_dev_key dk = { .netns = wf_dev_of_skb(skb) >> 32, .ifindex = skb->ifindex };

	return bpf_map_lookup_elem(&WF_MAP_DEVS, &dk);
}

#define WF_ETH_P_IP   0x0800
#define WF_ETH_P_IPV6 0x86DD

/* Of the matched ingress rules, the id of the one that shapes (it has a class
 * and is not watch-only; the lowest rate if several do), or 0. A global
 * function, as wf_pace_for: the verifier checks its loop once. */
__noinline __u32 wf_shaped_rule_id(const struct wf_ids *m)
{
	__u64 rate = 0;
	__u32 best = 0;

	if (!m)
		return 0;
	for (int i = 0; i < WF_MATCH_MAX; i++) {
		__u32 id = m->id[i];
		struct wf_rule *r;

		if (i >= m->n)
			break;
		r = bpf_map_lookup_elem(&WF_MAP_RULES, &id);
		if (r && r->dir == WF_DIR_INGRESS && r->shape_class && r->shape_class <= WF_SHAPE_MAX &&
		    !(r->flags & WF_RULE_WATCH_ONLY) && (!best || r->rate < rate)) {
			best = id;
			rate = r->rate;
		}
	}
	return best;
}

/* That rule (NULL if none, or it went meanwhile); *rid = its id. */
static __always_inline struct wf_rule *wf_shaped_rule(const struct wf_ids *m, __u32 *rid)
{
	*rid = wf_shaped_rule_id(m);
	return *rid ? bpf_map_lookup_elem(&WF_MAP_RULES, rid) : NULL;
}

/* Copies len bytes at off of the packet to to: in place where they are in its
 * linear part (direct packet access), else with bpf_skb_load_bytes; 0 if done.
 * The shaper reads every queued packet's and ACK's headers (issue 9: a helper
 * call each, four a packet). */
static __always_inline int wf_load(struct __sk_buff *skb, __u32 off, void *to, const __u32 len)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (off < 256) {
		void *at = data + (off & 0xff);

		if (at + len <= end) {
			__builtin_memcpy(to, at, len);
			return 0;
		}
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

/* What a TCP packet is, read from its headers. */
struct wf_tcp_pkt {
	struct bpf_sock_tuple t; /* as bpf_sk_lookup_tcp wants it */
	struct wf_tuple peer;    /* as the local receiver sees the connection (wf_peers key) */
	__u32 family;            /* 2 or 10 */
	__u32 payload;
	__u32 ovh;               /* WF_OVH_* */
	__u32 seq;               /* of its first payload byte */
	__u32 tsecr;             /* has_ts: the timestamp it echoes (the newest ACK's its sender had) */
	__u32 has_ts;
};

/* The TCP timestamp option where Linux (and Windows) put it, first after two NOPs:
 * *val and *ecr; 0 if it is not there. */
static __always_inline int wf_tcp_ts(struct __sk_buff *skb, __u32 l4, __u32 doff, __u32 *val, __u32 *ecr)
{
	__u8 o[12];

	if (doff * 4 < 32 || wf_load(skb, l4 + 20, o, sizeof(o)) || o[0] != 1 || o[1] != 1 || o[2] != 8 ||
	    o[3] != 10)
		return 0;
	*val = (__u32)o[4] << 24 | (__u32)o[5] << 16 | (__u32)o[6] << 8 | o[7];
	*ecr = (__u32)o[8] << 24 | (__u32)o[9] << 16 | (__u32)o[10] << 8 | o[11];
	return 1;
}

static __always_inline int wf_parse_tcp(struct __sk_buff *skb, __u32 off, struct wf_tcp_pkt *p)
{
	__u32 la[4] = {}, ra[4] = {}, family, l4, iplen, val;
	struct tcphdr th;
	int ts;

	if (skb->protocol == bpf_htons(WF_ETH_P_IP)) {
		struct iphdr ip;

		if (wf_load(skb, off, &ip, sizeof(ip)) || ip.protocol != WF_IPPROTO_TCP ||
		    (ip.frag_off & bpf_htons(0x3fff)))
			return 0;
		p->t.ipv4.saddr = ip.saddr;
		p->t.ipv4.daddr = ip.daddr;
		la[0] = ip.daddr;
		ra[0] = ip.saddr;
		l4 = off + ip.ihl * 4;
		iplen = bpf_ntohs(ip.tot_len) - ip.ihl * 4;
		family = 2;
	} else if (skb->protocol == bpf_htons(WF_ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (wf_load(skb, off, &ip6, sizeof(ip6)) || ip6.nexthdr != WF_IPPROTO_TCP)
			return 0;
		__builtin_memcpy(p->t.ipv6.saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->t.ipv6.daddr, &ip6.daddr, 16);
		__builtin_memcpy(la, &ip6.daddr, 16);
		__builtin_memcpy(ra, &ip6.saddr, 16);
		l4 = off + sizeof(ip6);
		iplen = bpf_ntohs(ip6.payload_len);
		family = 10;
	} else {
		return 0;
	}
	if (wf_load(skb, l4, &th, sizeof(th)))
		return 0;
	p->family = family;
	if (family == 2) {
		p->t.ipv4.sport = th.source;
		p->t.ipv4.dport = th.dest;
	} else {
		p->t.ipv6.sport = th.source;
		p->t.ipv6.dport = th.dest;
	}
	p->payload = iplen > th.doff * 4 ? iplen - th.doff * 4 : 0;
	p->seq = bpf_ntohl(th.seq);
	p->has_ts = wf_tcp_ts(skb, l4, th.doff, &val, &p->tsecr);
	ts = th.doff * 4 >= 32; /* 12 bytes of options: timestamps, as Linux senders send them */
	p->ovh = family == 2 ? (ts ? WF_OVH_IP4_TS : WF_OVH_IP4) : (ts ? WF_OVH_IP6_TS : WF_OVH_IP6);
	return wf_tuple_fill(&p->peer, family, la, ra, bpf_ntohs(th.dest), bpf_ntohs(th.source), 0);
}

/*
 * The onset of a limit on a connection that was open before it. Its sender
 * may have sent up to the right edge of the last
 * window it was shown: megabytes on a fast path, which were on their way
 * when the limit came. The queue held 100 ms of the rate of that and dropped
 * the rest, which the sender then sent again, a share of window at a time
 * (10.8 MB unacknowledged, 14.1 MB retransmitted over 15 s at 1 MiB/s, four
 * connections over 20 ms, 2026-12-04). Now that data passes unqueued and costs
 * the bucket nothing (WF_VIA_ONSET): it has crossed the network already, and
 * the limit holds from the sender's next window on, one round trip later.
 * Which packets those are: until the first lowered ACK goes out (its ACKs
 * are lowered from when the connection is counted as shaped, wf_ack_window;
 * the egress program may come a little later), every packet up to the edge
 * TCP shows now (rcv_wup + rcv_wnd), for a second at most. After it, only
 * those up to the edge in that ACK that echo an older timestamp than
 * that ACK's: a sender echoes the newest ACK it has, so the others were sent
 * after it could read a lowered window. Without timestamps nothing passes
 * after the first lowered ACK. (The edge alone let the sender send anew up
 * to TCP's old edge, megabytes, at the lowered window unqueued: 3.3-4.4 times
 * the rate for 3 s.) Connections clamped since they were made
 * (WF_OWNER_WINDOW) have no onset: their senders never had more than their share.
 */
#define WF_ONSET_NONE 0 /* not seen as shaped yet (or no longer shaped) */
#define WF_ONSET_SEEN 1 /* counted as shaped at onset_ns; no ACK lowered yet */
#define WF_ONSET_TS   2 /* onset_tsval: the first lowered ACK's timestamp */
#define WF_ONSET_DONE 3 /* nothing passes: the first lowered ACK had no timestamp, or clamped since made */

static __always_inline void wf_clamp_count(struct wf_owner *o, __u32 rid, struct wf_state *s);

#define WF_ONSET_SEEN_NS 1000000000ULL

/* Notes that a connection open before its limit became shaped. */
static __always_inline void wf_onset_note(struct wf_sockstat *ss)
{
	if (!ss || ss->onset != WF_ONSET_NONE)
		return;
	ss->onset_ns = bpf_ktime_get_ns();
	ss->onset = WF_ONSET_SEEN;
}

/* Was this packet sent before its sender could know of the limit? Counts a
 * connection the shaper sees before Set-WfLimit's iterators did, so that its
 * ACKs carry its share from now on. The owner (*o, looked up if NULL) is
 * needed only until the first lowered ACK: after it, the onset state alone
 * answers, with no sk_storage lookup per packet. */
static __always_inline int wf_onset_pass(struct bpf_sock *sk, struct wf_owner **o, struct wf_sockstat *ss, __u32 rid,
					 const struct wf_tcp_pkt *p)
{
	struct wf_state *s;

	if (!ss || ss->onset == WF_ONSET_DONE)
		return 0;
	if (ss->onset == WF_ONSET_TS)
		return (__s32)(ss->onset_edge - (p->seq + p->payload)) >= 0 && p->has_ts &&
		       (__s32)(p->tsecr - ss->onset_tsval) < 0;
	if (!*o)
		*o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, 0);
	if (!*o)
		return 0;
	if ((*o)->flags & WF_OWNER_WINDOW) {
		ss->onset = WF_ONSET_DONE; /* until it is shaped no more (wf_iter_index) */
		return 0;
	}
	if (!((*o)->flags & WF_OWNER_CLAMPED) && (s = wf_state_of(rid)))
		wf_clamp_count(*o, rid, s);
	wf_onset_note(ss);
	if (ss->onset == WF_ONSET_SEEN) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

		return tp && bpf_ktime_get_ns() - ss->onset_ns < WF_ONSET_SEEN_NS &&
		       (__s32)(tp->rcv_wup + tp->rcv_wnd - (p->seq + p->payload)) >= 0;
	}
	return 0;
}

/* The htb class of the rule that shapes this connection's incoming data, or 0.
 * *onset: the packet is to pass unqueued (wf_onset_pass). */
static __always_inline __u32 wf_shape_class(struct __sk_buff *skb, struct wf_tcp_pkt *p, int *onset)
{
	struct wf_what w = { .t = p->peer, .proto = WF_IPPROTO_TCP, .dir = WF_DIR_INGRESS };
	struct wf_owner *o = NULL;
	struct wf_sockstat *ss;
	struct wf_config *cfg;
	struct wf_rule *r;
	struct bpf_sock *sk;
	struct wf_ids m;
	__u32 cls = 0, rid;

	if (p->family == 2) /* the size must be a constant for the verifier */
		sk = bpf_sk_lookup_tcp(skb, &p->t, sizeof(p->t.ipv4), BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_tcp(skb, &p->t, sizeof(p->t.ipv6), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	if (sk->state != BPF_TCP_LISTEN) {
		/* as wf_handle keys it, so both programs find the socket's one remembered match */
		ss = wf_sockstat_of(sk);
		cfg = wf_config_get();
		if (cfg && (cfg->kinds & (1 << WF_KIND_IFACE)))
			w.dev = wf_dev_of_skb(skb);
		wf_match_sk(cfg, wf_sockstat_match(ss), sk, &o, &w, 1, &m);
		r = wf_shaped_rule(&m, &rid);
		/* a local sender that is paced already needs no queue */
		if (r && !wf_tuple_paced(&p->peer)) {
			cls = r->shape_class;
			*onset = wf_onset_pass(sk, &o, ss, rid, p);
		}
	}
	bpf_sk_release(sk);
	return cls;
}

/*
 * Receive-window clamp of a shaped connection. A queue only slows a sender
 * that waits for it; a loss-based or BBR sender, and several connections of
 * one rule, fill any bounded queue, and what overflows is lost. So each
 * receiving end advertises at most its share of the rate (the rule's rate /
 * its clamped connections, wf_state.tcp_conns) times (RTT + WF_CLAMP_QUEUE_US):
 * together they keep at most about that long queued, inside the queue's
 * bound, and have all the window they need to reach the rate. Only
 * connections made after the limit are clamped: TCP never takes back a
 * window it has advertised, so an open connection keeps its window, and its
 * ACKs carry the lower one instead (wf_ack_window, which every clamped
 * connection's ACKs pass through, so a clamp that autotuning raises again
 * still reaches no sender).
 */
#define WF_TCP_WINDOW_CLAMP  10
/* 60 ms: a receiver may hold its ACK for 40 ms (delayed ACK), and a window
 * with only 40 ms to spare then held a 10 MiB/s download to 0.94 (CI load);
 * all connections at their share still queue well inside the 100 ms bound */
#define WF_CLAMP_QUEUE_US    60000
#define WF_CLAMP_MIN         (4 * 1448)

/*
 * Listeners of shaped processes, by network namespace (cookie) and port. The
 * first window of a connection a listener accepts is chosen for its request
 * socket (RWND_INIT), which has no owner to look up; its listener's owner is
 * found here. Kernel-only, so not pinned: it goes with the programs. Two
 * listeners on one port (other addresses) share an entry; the last one seen wins.
 */
struct wf_listen_key {
	__u64 netns;
	__u32 port;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct wf_listen_key);
	__type(value, struct wf_owner);
} wf_listen SEC(".maps");

/* The listener's key, from the socket (iter/tcp, tracing); inet_sport, since skc_num is cleared on close. */
static __always_inline struct wf_listen_key wf_listen_key_of(struct sock *sk)
{
	struct wf_listen_key k = {
		.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie),
		.port = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport)),
	};

	return k;
}

/* Lists or forgets a listener, as the rules it matches (m) now ask. */
static __always_inline void wf_listen_note(struct wf_listen_key *k, struct wf_owner *o, const struct wf_ids *m)
{
	__u32 rid;

	if (o && wf_shaped_rule(m, &rid))
		bpf_map_update_elem(&wf_listen, k, o, BPF_ANY);
	else
		bpf_map_delete_elem(&wf_listen, k);
}

/*
 * ctx: a sockops context or a TCP socket (iter/tcp); window 0 lifts the clamp.
 * The receive buffer is left to autotuning, as without a limit: a buffer set
 * with SO_RCVBUF (as this did until 2026-12-04) is capped at
 * net.core.rmem_max, whose default of 212992 allows a window of about 260 KB,
 * so a 30 MiB/s download over 20 ms ran at 0.41 of its rate; and it stayed
 * that small after the limit went.
 */
static __always_inline void wf_clamp_set(void *ctx, int window)
{
	int clamp = window ? window : 0x3fffffff;

	bpf_setsockopt(ctx, WF_SOL_TCP, WF_TCP_WINDOW_CLAMP, &clamp, sizeof(clamp));
}

/* Counts the connection in its rule's tcp_conns once (WF_OWNER_CLAMPED marks
 * it counted). The flag is flipped atomically: wf_sockops and the iterators
 * may count or uncount one connection at once on different CPUs. */
static __always_inline void wf_clamp_count(struct wf_owner *o, __u32 rid, struct wf_state *s)
{
	if (o->flags & WF_OWNER_CLAMPED)
		return;
	o->clamp_rule = rid;
	if (__sync_fetch_and_or(&o->flags, WF_OWNER_CLAMPED) & WF_OWNER_CLAMPED)
		return;
	__sync_fetch_and_add(&s->tcp_conns, 1);
}

/* A counted connection closed or lost its clamp. */
static __always_inline void wf_clamp_uncount(struct wf_owner *o)
{
	struct wf_state *s;

	if (!(o->flags & WF_OWNER_CLAMPED) || !(__sync_fetch_and_and(&o->flags, ~WF_OWNER_CLAMPED) & WF_OWNER_CLAMPED))
		return;
	s = wf_state_of(o->clamp_rule);
	if (s)
		__sync_fetch_and_add(&s->tcp_conns, -1);
}

/* The window for one of the rule's connections with this smoothed RTT and
 * segment size: at least 4 segments (64 KiB ones on loopback), so that TCP
 * never stalls on a window smaller than what it sends at once. */
static __always_inline int wf_clamp_window(const struct wf_rule *r, struct wf_state *s, __u32 srtt_us, __u32 mss)
{
	__s64 n = *(volatile __s64 *)&s->tcp_conns;
	__u64 w = r->rate / (n > 1 ? n : 1) * (srtt_us + WF_CLAMP_QUEUE_US) / 1000000;

	if (w < 4 * (__u64)mss)
		w = 4 * (__u64)mss;
	if (w < WF_CLAMP_MIN)
		w = WF_CLAMP_MIN;
	return w > 0x3fffffff ? 0x3fffffff : (int)w;
}

/*
 * Moves a connection's clamp to its share of the rule now (wf_clamp_window)
 * if it is more than 1/8 off, as the rule gains or loses connections
 * (wf_clamp_follow), or as autotuning raised it with the buffer. A smaller
 * clamp bounds the window on this kernel (tcp_set_window_clamp lowers
 * rcv_ssthresh with it), and what was advertised already drains.
 */
static __always_inline void wf_clamp_share(void *ctx, struct tcp_sock *tp, const struct wf_rule *r, struct wf_state *s)
{
	__u32 want = wf_clamp_window(r, s, tp->srtt_us >> 3, tp->mss_cache), now = tp->window_clamp;
	int window = want;

	if (want >= now - now / 8 && want <= now + now / 8)
		return;
	bpf_setsockopt(ctx, WF_SOL_TCP, WF_TCP_WINDOW_CLAMP, &window, sizeof(window));
}

/*
 * The window of an outgoing segment of a shaped connection (tcx egress),
 * lowered to the connection's share where it is more. TCP never takes back a
 * window it advertised, so the clamp (wf_clamp_set) cannot hold a connection
 * that was open before its limit: its sender had megabytes of window, filled
 * the 100 ms queue and lost what overflowed. A sender reads the window in
 * each ACK as it comes (a smaller one is allowed, RFC 9293 3.8.6), and sends
 * no more than it; the receiver still takes what the larger window let in.
 * The header checksum is fixed up with bpf_l4_csum_replace (which leaves a
 * checksum the device completes alone). SYNs carry an unscaled window: left alone.
 *
 * The right edge (ACK + window) moves a quarter of the share (a segment at
 * least) at a time: the receiver's side of silly-window avoidance (RFC 9293
 * 3.8.6.2.2), which a window set per ACK bypasses. The window left stays over
 * 3/4 of the share, so over RTT for paths under ~180 ms (WF_CLAMP_QUEUE_US). A
 * sender retransmits as much as its window allows, a piece under a segment if
 * that is all (tcp_retransmit_skb), and an edge that moved with every ACK
 * opened exactly what the ACK had acknowledged: the refill after a limit's
 * onset went on in the same small pieces round after round (8-776 bytes,
 * 2.7 retransmissions a segment lost at the onset, tcpdump and nstat of the
 * sender on 2026-12-04).
 */
static __always_inline void wf_ack_window(struct __sk_buff *skb)
{
	struct bpf_sock *bsk = skb->sk;
	struct wf_dev *dev;
	struct tcp_options_received *ro;
	struct tcp_sock *tp;
	struct wf_sockstat *ss;
	struct wf_owner *o;
	struct wf_rule *r;
	struct wf_state *s;
	struct tcphdr th;
	__u32 off, l4, rid, want, wscale, win, ack, edge, units, step, tsecr;
	__s32 ahead;
	__u16 nwin;
	__u8 b;

	if (!bsk || !(bsk = bpf_sk_fullsock(bsk)) || bsk->protocol != WF_IPPROTO_TCP)
		return;
	o = bpf_sk_storage_get(&WF_MAP_OWNER, bsk, 0, 0);
	if (!o || !(o->flags & WF_OWNER_CLAMPED))
		return;
	/* the device's entry (its header length) only now: most of what leaves a shaped device is not a
	 * clamped connection's, and the lookup cost every such packet ~170 ns under a 100 MiB/s download */
	dev = wf_shaped_dev(skb);
	if (!dev)
		return;
	off = dev->l2_len;
	rid = o->clamp_rule;
	r = bpf_map_lookup_elem(&WF_MAP_RULES, &rid);
	s = wf_state_of(rid);
	tp = bpf_skc_to_tcp_sock(bsk);
	if (!r || !s || !tp)
		return;
	if (wf_load(skb, off, &b, 1))
		return;
	if ((b >> 4) == 4) {
		l4 = off + (b & 0xf) * 4;
		/* the socket's own TCP, not a tunnel or IPsec packet that carries it */
		if (wf_load(skb, off + 9, &b, 1) || b != WF_IPPROTO_TCP)
			return;
	} else if ((b >> 4) == 6) {
		if (wf_load(skb, off + 6, &b, 1) || b != WF_IPPROTO_TCP)
			return;
		l4 = off + 40;
	} else {
		return;
	}
	if (wf_load(skb, l4, &th, sizeof(th)) || th.syn || !th.ack)
		return;
	want = wf_clamp_window(r, s, tp->srtt_us >> 3, tp->mss_cache);
	ro = &tp->rx_opt;
	barrier_var(ro); /* so the bitfield's offset is taken within rx_opt, not added to it again */
	wscale = BPF_CORE_READ_BITFIELD(ro, rcv_wscale) & 15; /* a BTF load: tp is trusted */
	win = (__u32)bpf_ntohs(th.window) << wscale;
	ack = bpf_ntohl(th.ack_seq);
	edge = ack + (win <= want ? win : want);
	ss = bpf_sk_storage_get(&WF_MAP_FLOW, bsk, 0, 0);
	if (ss && ss->onset == WF_ONSET_SEEN) {
		/* the first ACK lowered: no sender saw a further edge than TCP's in it */
		ss->onset_edge = ack + win;
		ss->onset = wf_tcp_ts(skb, l4, th.doff, &ss->onset_tsval, &tsecr) ? WF_ONSET_TS : WF_ONSET_DONE;
	}
	if (ss) {
		ahead = (__s32)(edge - ss->ack_edge);
		/* held while the window left is over 3/4 of the share and a segment (and the unit that
		 * rounding takes off): the sender gets room in steps, and cuts a segment once a step */
		step = want / 4 > tp->mss_cache + (1U << wscale) ? want / 4 : tp->mss_cache + (1U << wscale);
		if (win > want && ss->ack_edge_set && ahead > 0 && ahead < (__s32)step &&
		    (__s32)(ss->ack_edge - ack) >= (__s32)(want / 2))
			edge = ss->ack_edge;
		ss->ack_edge = edge;
		ss->ack_edge_set = 1;
	}
	if (win <= want)
		return; /* TCP's own window is the smaller one */
	units = (edge - ack) >> wscale;
	nwin = bpf_htons((__u16)(units ? (units < 0xffff ? units : 0xffff) : 1));
	bpf_l4_csum_replace(skb, l4 + offsetof(struct tcphdr, check), th.window, nwin, sizeof(nwin));
	bpf_skb_store_bytes(skb, l4 + offsetof(struct tcphdr, window), &nwin, sizeof(nwin), 0);
}

#endif
