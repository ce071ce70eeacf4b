// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Wirefisher's kernel side: one object, attached at the cgroup v2 root,
 * so it sees every socket of every process in every network namespace.
 *
 *   wf_sock_create   tags a new socket with its creating process
 *   wf_iter_seed     tags sockets that existed before (fills only untagged)
 *   wf_iter_claim    re-tags one process's sockets (run with a PID filter)
 *   wf_ingress/egress  per packet: owner -> matching rules (lib/wf_match.h) -> buckets -> verdict
 *   wf_sockops       paces new TCP connections (own egress limit, or a local receiver's ingress limit),
 *                    and gives them the congestion control a rule asks for (lib/wf_cc.h)
 *   wf_iter_index    lists the connections of ingress-limited processes (wf_peers)
 *   wf_iter_pace     paces (or unpaces) existing TCP connections after a change
 *   wf_iter_conns    reports every socket's rates (Get-WfFlowRate -By Connection)
 *   wf_shape_in      tcx ingress: queues TCP from senders this host cannot pace (lib/wf_shape.h)
 *   wf_shape_out     tcx egress: lowers the window a shaped connection's ACKs advertise to its share
 *   wf_tcp_close     forgets an ending connection (wf_peers, its rule's tcp_conns)
 *   wf_proc_exit     forgets a process's rates when it exits
 *   wf_cgroup_mkdir  a new cgroup inherits its parent's cgroup rules
 *
 * Anything not found (no socket, no owner, no rule, no state) passes:
 * Wirefisher never black-holes a host.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "wirefisher.h"
#include "lib/wf_owner.h"
#include "lib/wf_parse.h"
#include "lib/wf_match.h"
#include "lib/wf_account.h"
#include "lib/wf_police.h"
#include "lib/wf_pace.h"
#include "lib/wf_shape.h"
#include "lib/wf_wake.h"
#include "lib/wf_cc.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* WF_ABI, written by user space when it loads this object (Wirefisher.Native/Maps/AbiStamp.cs); no program reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_ABI SEC(".maps");

/* Puts struct wf_conn, which only the iterator's stack uses, into the object's
 * BTF, where the layout test (tests/xunit/AbiLayoutTests.cs) finds it. */
const struct wf_conn *wf_btf_anchor_conn __attribute__((unused));

SEC("cgroup/sock_create")
int wf_sock_create(struct bpf_sock *sk)
{
	struct wf_owner *o;

	o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o) {
		wf_owner_from_task(o, bpf_get_current_task_btf());
		o->cgroup_id = bpf_get_current_cgroup_id();
	}
	return 1; /* never refuse a socket */
}

/* The socket's rates, its owner's tgid copied in first when stale (see wf_handle_rules); *o the owner if looked up. */
static __always_inline struct wf_sockstat *wf_sockstat_owned(struct bpf_sock *sk, struct wf_owner **o)
{
	struct wf_sockstat *ss = wf_sockstat_of(sk);
	__u64 gen = *(volatile __u64 *)&wf_owner_gen + 1;

	if (sk && wf_sockstat_stale(ss, gen)) {
		*o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, 0);
		wf_sockstat_own(ss, *o, gen);
	}
	return ss;
}

/* Whether a passing egress packet also notifies congestion: its paced socket's window is above
 * the clamp (lib/wf_pace.h); also the sending end of a local receiver's limit. */
static __always_inline int wf_over_clamp(struct bpf_sock *sk, struct wf_sockstat *ss, __u32 dir)
{
	return dir == WF_DIR_EGRESS && ss && ss->cwnd && wf_pace_cwnd_over(sk);
}

/* Per packet, with no rule loaded: count it and pass it. A path of its own, so
 * that the compiler lays it out without the matching's stack and registers
 * (issue 9). */
static __always_inline int wf_count_only(struct __sk_buff *skb, __u32 dir)
{
	struct bpf_sock *sk = skb->sk;
	struct wf_owner *o = NULL;
	struct wf_sockstat *ss;
	__u32 proto, len;

	len = wf_parse_skb(skb, dir, NULL, &proto);
	if (!len)
		return WF_PASS;
	ss = wf_sockstat_owned(sk, &o);
	wf_account(ss, dir, len, 1);
	return wf_over_clamp(sk, ss, dir) ? WF_PASS_CN : WF_PASS;
}

/* Per packet, with rules loaded: who owns it, which rules it matches, do their
 * buckets let it pass; then count it. Returns WF_DROP, WF_PASS or WF_PASS_CN.
 *
 * One sk_storage lookup per packet, its socket's wf_sockstat (issue 9): it
 * holds the socket's rates, its owner's tgid and the rules it matched. It is
 * looked up on skb->sk as it is: bpf_sk_storage_get finds nothing on a socket
 * that is not full (request and timewait sockets), so no bpf_sk_fullsock is
 * needed either. The owner itself is looked up only when the tgid copy is
 * stale, when the rules must be found anew, or for a packet a rule limits. */
static __always_inline int wf_handle_rules(struct __sk_buff *skb, __u32 dir, struct wf_config *cfg)
{
	struct wf_what w;
	struct bpf_sock *sk = skb->sk;
	struct wf_sockstat *ss;
	struct wf_owner *o = NULL;
	int verdict = WF_PASS;
	struct wf_ids m;
	__u32 len;

	/* w's flow (t) is read from the packet only if a rule could match on it (wf_match_sk); every
	 * other byte of w is written here, and t all of it then (wf_parse_skb zeroes it first) */
	len = wf_parse_skb(skb, dir, NULL, &w.proto);
	if (!len)
		return WF_PASS; /* pure ACKs and control packets pass free and uncounted */
	w.dir = dir;
	w.dev = 0;
	ss = wf_sockstat_owned(sk, &o);
	if (sk && ss) {
		if (cfg->kinds & (1 << WF_KIND_IFACE))
			w.dev = wf_dev_of_skb(skb);
		/* the headers again, this time with the addresses and ports: from L1, and only for a flow an
		 * address/port rule of its protocol could match, or on a rule change (issue 9) */
		if (wf_match_sk(cfg, &ss->match, sk, &o, &w, 0, &m) == WF_MATCH_NEED_FLOW) {
			wf_parse_skb(skb, dir, &w.t, &w.proto);
			wf_match_sk(cfg, &ss->match, sk, &o, &w, 1, &m);
		}
		if (m.n) {
			struct wf_ask a = { .tgid = ss->tgid, .proc_slot = ss->proc_slot, .dir = dir,
					    .priority = skb->priority, .len = len };

			if (!o && dir == WF_DIR_EGRESS)
				o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, 0);
			/* paced or shaped TCP gets slack for its pacing's or queue's jitter (see wf_verdict); a
			 * packet that came through the shaper's queue has no paced sender (wf_shape_class), so
			 * its sender is not looked up (a 40-byte hash key per packet) */
			if (dir == WF_DIR_EGRESS)
				a.paced = o && (o->flags & WF_OWNER_PACED);
			else
				a.paced = (a.priority >> 16) != (WF_SHAPE_MAJOR >> 16) && wf_peer_paced(skb);
			verdict = wf_police(&m, &a);
			/* dropped where a shaper should queue it (a device made later): wake the watcher */
			if (verdict == WF_DROP && dir == WF_DIR_INGRESS && !a.paced && w.proto == WF_IPPROTO_TCP &&
			    wf_shaped_rule_id(&m))
				wf_wake_unshaped(wf_dev_of_skb(skb) >> 32, skb->ifindex);
		}
	}
	if (verdict == WF_PASS && wf_over_clamp(sk, ss, dir))
		verdict = WF_PASS_CN;
	wf_account(ss, dir, len, verdict != WF_DROP);
	return verdict;
}

static __always_inline int wf_handle(struct __sk_buff *skb, __u32 dir)
{
	struct wf_config *cfg = wf_config_get();

	return cfg && cfg->kinds ? wf_handle_rules(skb, dir, cfg) : wf_count_only(skb, dir);
}

SEC("cgroup_skb/ingress")
int wf_ingress(struct __sk_buff *skb)
{
	return wf_handle(skb, WF_DIR_INGRESS) != WF_DROP;
}

SEC("cgroup_skb/egress")
int wf_egress(struct __sk_buff *skb)
{
	/* cgroup_skb egress verdicts: 1 pass, 3 pass and notify congestion,
	 * 2 drop and notify (TCP backs off; the segment was never sent, so
	 * there is nothing to retransmit). */
	switch (wf_handle(skb, WF_DIR_EGRESS)) {
	case WF_PASS:
		return 1;
	case WF_PASS_CN:
		return 3;
	default:
		return 2;
	}
}

/* The full TCP socket an iter/tcp step is at, or NULL (request and timewait sockets). */
static __always_inline struct tcp_sock *wf_iter_tcp_sock(struct sock_common *skc)
{
	return skc ? bpf_skc_to_tcp_sock(skc) : NULL;
}

/* Notes the owner of each TCP or UDP socket among a task's open files in
 * wf_seeds, for wf_seed_apply. claim: replace an owner the socket has; else
 * the first process seen with a socket (a fork shares it) owns it. */
static __always_inline int wf_iter_note(struct bpf_iter__task_file *ctx, int claim)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	struct sock *sk;
	__u16 family, proto;
	__u64 ino;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	proto = BPF_CORE_READ(sk, sk_protocol);
	if ((family != 2 && family != 10) || (proto != WF_IPPROTO_TCP && proto != WF_IPPROTO_UDP))
		return 0;
	ino = BPF_CORE_READ(file, f_inode, i_ino);
	{
		/* on the stack: a per-CPU buffer could be rewritten meanwhile by a packet program on
		 * this CPU (a softirq), or by a task that preempts this one */
		struct wf_owner o = {};

		wf_owner_from_task(&o, task);
		o.cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
		o.flags = claim ? WF_OWNER_CLAIM : 0;
		bpf_map_update_elem(&WF_MAP_SEEDS, &ino, &o, claim ? BPF_ANY : BPF_NOEXIST);
	}
	return 0;
}

SEC("iter/task_file")
int wf_iter_seed(struct bpf_iter__task_file *ctx)
{
	return wf_iter_note(ctx, 0);
}

SEC("iter/task_file")
int wf_iter_claim(struct bpf_iter__task_file *ctx)
{
	return wf_iter_note(ctx, 1);
}

/* Gives a socket the owner wf_iter_note noted for it, keeping what Wirefisher
 * itself did to the socket (flags, clamp_rule), and forgets the note. */
static __always_inline void wf_seed_apply(struct sock *sk)
{
	__u64 ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	struct wf_owner *seed = ino ? bpf_map_lookup_elem(&WF_MAP_SEEDS, &ino) : NULL, *o;
	__u32 flags, clamp_rule;

	if (!seed)
		return;
	o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o && (!o->tgid || (seed->flags & WF_OWNER_CLAIM))) {
		flags = o->flags;
		clamp_rule = o->clamp_rule;
		*o = *seed;
		o->flags = flags;
		o->clamp_rule = clamp_rule;
		__sync_fetch_and_add(&wf_owner_gen, 1); /* the socket's rates copy the new owner's tgid */
	}
	bpf_map_delete_elem(&WF_MAP_SEEDS, &ino);
}

SEC("iter/tcp")
int wf_iter_own_tcp(struct bpf_iter__tcp *ctx)
{
	struct tcp_sock *tp = wf_iter_tcp_sock(ctx->sk_common);

	if (tp)
		wf_seed_apply((struct sock *)tp);
	return 0;
}

SEC("iter/udp")
int wf_iter_own_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *u = ctx->udp_sk;

	if (u)
		wf_seed_apply((struct sock *)u);
	return 0;
}

/* What a TCP socket's flow is in one direction (sockops, iterators). */
static __always_inline void wf_what_of_tcp(struct sock *sk, struct wf_tuple *t, __u32 dir, struct wf_what *w)
{
	__builtin_memset(w, 0, sizeof(*w));
	w->t = *t;
	w->proto = WF_IPPROTO_TCP;
	w->dir = dir;
	w->dev = sk && wf_config_has(WF_KIND_IFACE) ? wf_dev_of_sk(sk) : 0;
}

/* The full socket behind a sockops context, or NULL (request sockets). */
static __always_inline struct sock *wf_ops_sock(struct bpf_sock_ops *ops)
{
	struct bpf_sock *sk = ops->sk;
	struct tcp_sock *tp = sk ? bpf_skc_to_tcp_sock(sk) : NULL;

	return (struct sock *)tp;
}

/*
 * The first window a connection of a shaped process advertises (in segments):
 * small, since TCP cannot take back a window once advertised, and it is
 * clamped once established (see lib/wf_shape.h). The window scale is chosen
 * apart from it, so the connection can still grow to what it needs. A
 * connect() has its owner; an accepted connection is still a request socket
 * here, and its listener's owner is in wf_listen (TCP_LISTEN notes it).
 */
static __always_inline int wf_clamp_start(struct bpf_sock_ops *ops)
{
	struct wf_listen_key k = { .netns = bpf_get_netns_cookie(ops), .port = ops->local_port };
	struct bpf_sock *sk = ops->sk;
	struct wf_owner *o = sk ? bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, 0) : NULL;
	struct wf_tuple t;
	struct wf_what w;
	struct wf_ids m;
	__u32 rid;

	if (!wf_tuple_of_ops(ops, &t, 0))
		return 1;
	wf_what_of_tcp(wf_ops_sock(ops), &t, WF_DIR_INGRESS, &w);
	if (ops->op == BPF_SOCK_OPS_TCP_LISTEN_CB) {
		struct sock *ks = wf_ops_sock(ops);

		wf_match_now(o, &w, &m);
		wf_listen_note(&k, o, &m);
		/* a shaped process listens where there is no shaper yet: have it there before a client comes */
		if (o && ks && wf_shaped_rule_id(&m))
			wf_wake_unshaped(wf_netns_of_sk(ks), 0);
		return 1;
	}
	if (!sk)
		o = bpf_map_lookup_elem(&wf_listen, &k);
	wf_match_now(o, &w, &m);
	if (wf_shaped_rule(&m, &rid))
		ops->reply = WF_CLAMP_MIN / 1448;
	return 1;
}

/*
 * A clamped connection's window follows its share (lib/wf_shape.h): the first
 * of four connections was clamped to the whole rate, and together they would
 * queue twice what the clamp means to allow. Runs as the connection sends a
 * segment (its ACKs: HDR_OPT_LEN_CB, which wf_sockops asks for; no option
 * space is taken) and only moves a clamp that is more than 1/8 off.
 */
static __always_inline int wf_clamp_follow(struct bpf_sock_ops *ops)
{
	struct bpf_sock *sk = ops->sk;
	struct tcp_sock *tp = sk ? bpf_skc_to_tcp_sock(sk) : NULL;
	struct wf_owner *o = tp ? bpf_sk_storage_get(&WF_MAP_OWNER, tp, 0, 0) : NULL;
	struct wf_rule *r;
	struct wf_state *s;
	__u32 rid;

	if (!o || ops->state != BPF_TCP_ESTABLISHED)
		return 1;
	if ((o->flags & (WF_OWNER_CLAMPED | WF_OWNER_WINDOW)) != (WF_OWNER_CLAMPED | WF_OWNER_WINDOW)) {
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags & ~BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
		return 1;
	}
	rid = o->clamp_rule;
	r = bpf_map_lookup_elem(&WF_MAP_RULES, &rid);
	s = wf_state_of(rid);
	if (r && s)
		wf_clamp_share(ops, tp, r, s);
	return 1;
}

/* New TCP connections: pace them as wf_iter_pace would (see lib/wf_pace.h).
 * A connection of an ingress-limited process is listed in wf_peers, and a
 * connection whose other end is listed is paced. The client end is
 * established before the server end, so a client that finds nothing yet
 * asks for one more look at its first RTT sample, when both ends exist. */
SEC("sockops")
int wf_sockops(struct bpf_sock_ops *ops)
{
	struct bpf_sock *sk;
	struct wf_owner *o;
	struct wf_tuple t;
	struct wf_what w;
	struct wf_ids m;
	struct wf_rule *r;
	struct wf_state *s;
	struct tcp_sock *tp;
	struct wf_sockstat *ss;
	__u32 want, in, *peer, rid;
	int rate;

	if (ops->op == BPF_SOCK_OPS_RWND_INIT || ops->op == BPF_SOCK_OPS_TCP_LISTEN_CB)
		return wf_clamp_start(ops);
	if (ops->op == BPF_SOCK_OPS_HDR_OPT_LEN_CB)
		return wf_clamp_follow(ops);
	if (ops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB && ops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
	    ops->op != BPF_SOCK_OPS_RTT_CB)
		return 1;
	sk = ops->sk;
	if (!sk)
		return 1;
	tp = (struct tcp_sock *)wf_ops_sock(ops);
	if (ops->op == BPF_SOCK_OPS_RTT_CB && tp && (ss = wf_pace_stat(tp, 0)) && ss->cwnd) {
		/* a paced socket's window follows its RTT (lib/wf_pace.h) */
		wf_pace_cwnd(ops, ops, tp, ss, tp->inet_conn.icsk_inet.sk.sk_max_pacing_rate);
		return 1;
	}
	o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, 0);
	if (!wf_tuple_of_ops(ops, &t, 0))
		return 1;
	wf_what_of_tcp((struct sock *)tp, &t, WF_DIR_EGRESS, &w);
	wf_match_now(o, &w, &m);
	want = wf_pace_for(&m);
	if (ops->op != BPF_SOCK_OPS_RTT_CB)
		wf_cc_apply(ops, &m);
	if (ops->op == BPF_SOCK_OPS_RTT_CB) {
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags & ~BPF_SOCK_OPS_RTT_CB_FLAG);
	} else {
		w.dir = WF_DIR_INGRESS;
		wf_match_now(o, &w, &m);
		in = wf_pace_for(&m);
		if (in > 0)
			bpf_map_update_elem(&WF_MAP_PEERS, &t, &in, BPF_ANY);
		/* a sender this host cannot pace may be behind it: clamp its window. An
		 * accepted socket's owner is a copy of its listener's: not counted yet */
		if (o) {
			__sync_fetch_and_and(&o->flags, ~(WF_OWNER_CLAMPED | WF_OWNER_WINDOW));
			if ((r = wf_shaped_rule(&m, &rid)) && (s = wf_state_of(rid))) {
				struct sock *ks = (struct sock *)tp;

				/* over a device (not loopback) in a namespace without the shaper yet: wake the watcher */
				if (ks && BPF_CORE_READ(ks, sk_dst_cache, dev, ifindex) != 1)
					wf_wake_unshaped(wf_netns_of_sk(ks), 0);
				wf_clamp_count(o, rid, s);
				wf_clamp_set(ops, wf_clamp_window(r, s, ops->srtt_us >> 3, ops->mss_cache));
				__sync_fetch_and_or(&o->flags, WF_OWNER_WINDOW);
				bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
			}
		}
	}
	peer = wf_tuple_of_ops(ops, &t, 1) ? bpf_map_lookup_elem(&WF_MAP_PEERS, &t) : 0;
	if (peer && (*peer & ~WF_PEER_PACED) && (!want || (*peer & ~WF_PEER_PACED) < want))
		want = *peer & ~WF_PEER_PACED;
	else if (!peer && ops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_RTT_CB_FLAG);
	if (want == 0 || want > 0x7fffffff)
		return 1;
	rate = want;
	if (!bpf_setsockopt(ops, WF_SOL_SOCKET, WF_SO_MAX_PACING_RATE, &rate, sizeof(rate))) {
		if (peer)
			*peer |= WF_PEER_PACED; /* idempotent: a race sets the same bit */
		if (!o)
			o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (o)
			__sync_fetch_and_or(&o->flags, WF_OWNER_PACED);
		/* a client still looking for its receiver does so at its first RTT sample, and is clamped then */
		if (tp && (peer || ops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB))
			wf_pace_cwnd(ops, ops, tp, wf_pace_stat(tp, 1), want);
	}
	return 1;
}


/* Records the connections of processes with an ingress limit, so that
 * wf_iter_pace can find their sending ends on this host. */
SEC("iter/tcp")
int wf_iter_index(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp = wf_iter_tcp_sock(skc);
	struct wf_sockstat *ss;
	struct wf_tuple t;
	struct wf_owner *o;
	struct wf_state *s;
	struct wf_what w;
	struct wf_ids m;
	__u32 rate, rid;

	if (!tp || !wf_tuple_of(skc, &t, 0))
		return 0;
	o = bpf_sk_storage_get(&WF_MAP_OWNER, (struct sock *)tp, 0, 0);
	wf_what_of_tcp((struct sock *)tp, &t, WF_DIR_INGRESS, &w);
	wf_match_now(o, &w, &m);
	rate = wf_pace_for(&m);
	if (rate > 0)
		bpf_map_update_elem(&WF_MAP_PEERS, &t, &rate, BPF_ANY);
	if (!o)
		return 0;
	/* count the connections to clamp first, so wf_iter_pace gives each its share */
	wf_clamp_uncount(o);
	ss = bpf_sk_storage_get(&WF_MAP_FLOW, (struct sock *)tp, 0, 0);
	if (skc->skc_state == BPF_TCP_ESTABLISHED && wf_shaped_rule(&m, &rid) && (s = wf_state_of(rid))) {
		wf_clamp_count(o, rid, s);
		if (!(o->flags & WF_OWNER_WINDOW))
			wf_onset_note(ss); /* open before its limit: what it was sent before it knew may pass (lib/wf_shape.h) */
	} else if (ss) {
		ss->onset = WF_ONSET_NONE;
	}
	return 0;
}

/* Paces a TCP socket as the rules ask: its own egress rules, or the ingress
 * rules of the local process it sends to (the lowest wins). */
SEC("iter/tcp")
int wf_iter_pace(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp = wf_iter_tcp_sock(skc);
	struct wf_tuple t;
	struct wf_owner *o;
	struct wf_what w;
	struct wf_ids m;
	__u32 *peer = 0;
	__u32 want, rid;
	int rate;

	if (!tp || !wf_tuple_of(skc, &t, 0))
		return 0;
	o = bpf_sk_storage_get(&WF_MAP_OWNER, (struct sock *)tp, 0, 0);
	wf_what_of_tcp((struct sock *)tp, &t, WF_DIR_EGRESS, &w);
	wf_match_now(o, &w, &m);
	want = wf_pace_for(&m);
	if (skc->skc_state == BPF_TCP_ESTABLISHED)
		wf_cc_apply(tp, &m);
	if (wf_tuple_of(skc, &t, 1)) {
		peer = bpf_map_lookup_elem(&WF_MAP_PEERS, &t);
		if (peer && (*peer & ~WF_PEER_PACED) && (!want || (*peer & ~WF_PEER_PACED) < want))
			want = *peer & ~WF_PEER_PACED;
		else
			peer = 0;
	}
	if (want > 0 && !o) /* a sender nobody tagged: note that we pace it */
		o = bpf_sk_storage_get(&WF_MAP_OWNER, (struct sock *)tp, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 0;
	if (want > 0 && want <= 0x7fffffff) {
		rate = want;
		if (!bpf_setsockopt(tp, WF_SOL_SOCKET, WF_SO_MAX_PACING_RATE, &rate, sizeof(rate))) {
			__sync_fetch_and_or(&o->flags, WF_OWNER_PACED);
			if (peer)
				*peer |= WF_PEER_PACED; /* idempotent: a race sets the same bit */
			if (skc->skc_state == BPF_TCP_ESTABLISHED)
				wf_pace_cwnd(tp, NULL, tp, wf_pace_stat(tp, 1), want);
		}
	} else if (o->flags & WF_OWNER_PACED) {
		rate = -1; /* ~0U: unlimited again */
		bpf_setsockopt(tp, WF_SOL_SOCKET, WF_SO_MAX_PACING_RATE, &rate, sizeof(rate));
		__sync_fetch_and_and(&o->flags, ~WF_OWNER_PACED);
		wf_pace_cwnd(tp, NULL, tp, wf_pace_stat(tp, 0), 0);
	}
	/* Only new connections are clamped (wf_sockops): the window an open one
	 * advertised cannot be taken back, and shrinking its buffer under the data
	 * that window lets in would drop that data at the socket (measured: worse
	 * than the queue alone). Clamping it to its share without shrinking the
	 * buffer was tried too: until the sender had used up the old window
	 * (20 s and more for four connections) losses were worse than with the
	 * queue alone (7.3 % against 1.8 %). wf_iter_index still counts them. */
	wf_tuple_of(skc, &t, 0);
	wf_what_of_tcp((struct sock *)tp, &t, WF_DIR_INGRESS, &w);
	wf_match_now(o, &w, &m);
	if (skc->skc_state == BPF_TCP_LISTEN) {
		struct wf_listen_key k = wf_listen_key_of((struct sock *)tp);

		wf_listen_note(&k, o, &m);
	}
	if (!wf_shaped_rule(&m, &rid) && (o->flags & WF_OWNER_WINDOW)) {
		wf_clamp_set(tp, 0);
		__sync_fetch_and_and(&o->flags, ~WF_OWNER_WINDOW);
	}
	return 0;
}

/* The rules a socket's traffic matched, as its match cache has them for this generation. */
static __always_inline void wf_conn_rules(struct wf_sockstat *ss, struct wf_conn *c)
{
	struct wf_match *m = wf_sockstat_match(ss);
	struct wf_config *cfg = wf_config_get();
	struct wf_match_dir d;

	if (!m || !cfg)
		return;
	for (int dir = 0; dir < 2; dir++) {
		bpf_probe_read_kernel(&d, sizeof(d), &m->d[dir]);
		if (!d.seq || (d.seq & 1) || d.gen != cfg->gen)
			continue;
		for (int i = 0; i < WF_MATCH_MAX; i++)
			if (i < d.ids.n) {
				if (dir == WF_DIR_EGRESS)
					c->rules_out[i] = d.ids.id[i];
				else
					c->rules_in[i] = d.ids.id[i];
			}
	}
}

/* Reports a socket's rates as a struct wf_conn, if it has any (a window's
 * rate may be a packet out of step, its totals are not: wf_rate_read). The
 * tcp and udp iterators call it for every socket of their
 * namespace: this kernel refuses iterators over a map's elements
 * (iter/bpf_sk_storage_map loads with EPERM on 6.18.44-fc-v1045). */
static __always_inline void wf_conn_report(struct seq_file *seq, struct sock *sk)
{
	struct wf_sockstat *ss = bpf_sk_storage_get(&WF_MAP_FLOW, sk, 0, 0);
	struct wf_owner *o;
	struct wf_conn c;

	if (!ss)
		return;
	__builtin_memset(&c, 0, sizeof(c));
	if (!wf_tuple_of(&sk->__sk_common, &c.tuple, 0))
		return;
	c.protocol = BPF_CORE_READ(sk, sk_protocol);
	o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, 0);
	if (o) {
		c.tgid = o->tgid;
		__builtin_memcpy(c.comm, o->comm, sizeof(c.comm));
	}
	wf_rate_read(&ss->f.in, &c.in);
	wf_rate_read(&ss->f.out, &c.out);
	wf_conn_rules(ss, &c);
	c.dev = wf_dev_of_sk(sk);
	bpf_seq_write(seq, &c, sizeof(c));
}

SEC("iter/tcp")
int wf_conns_tcp(struct bpf_iter__tcp *ctx)
{
	struct tcp_sock *tp = wf_iter_tcp_sock(ctx->sk_common);

	if (tp)
		wf_conn_report(ctx->meta->seq, (struct sock *)tp);
	return 0;
}

SEC("iter/udp")
int wf_conns_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *u = ctx->udp_sk;

	if (u)
		wf_conn_report(ctx->meta->seq, (struct sock *)u);
	return 0;
}

/* tcx ingress on each shaped device (see lib/wf_shape.h). Returns TCX_NEXT
 * (on to whatever else is attached) for everything it does not queue. */
SEC("tc")
int wf_shape_in(struct __sk_buff *skb)
{
	struct wf_dev *dev = wf_shaped_dev(skb);
	struct wf_tcp_pkt p = {};
	int onset = 0;
	__u32 cls;

	if (!dev || !dev->ifb_ifindex || !wf_parse_tcp(skb, dev->l2_len, &p) || !p.payload)
		return TCX_NEXT;
	cls = wf_shape_class(skb, &p, &onset);
	if (!cls)
		return TCX_NEXT;
	if (onset) { /* sent before its sender could know of the limit: on unqueued, and its bucket lets it by */
		skb->priority = WF_SHAPE_MAJOR | cls | (WF_SHAPE_ONSET << WF_SHAPE_KIND_SHIFT);
		return TCX_NEXT;
	}
	skb->priority = WF_SHAPE_MAJOR | cls | ((p.ovh + 1) << WF_SHAPE_KIND_SHIFT);
	return bpf_redirect(dev->ifb_ifindex, 0);
}

/*
 * tcx egress on each shaped device: the window in the ACKs of a shaped
 * connection's receiver is lowered to the connection's share (wf_clamp_window),
 * where TCP advertised more. A connection open before its limit advertised a
 * window TCP never takes back (its clamp cannot lower it); the sender that
 * reads the lowered one sends no more than its share, as one made after the
 * limit does (lib/wf_shape.h, wf_ack_window). Returns TCX_NEXT always.
 */
SEC("tc")
int wf_shape_out(struct __sk_buff *skb)
{
	wf_ack_window(skb);
	return TCX_NEXT;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(wf_tcp_close, struct sock *sk, int oldstate, int newstate)
{
	struct wf_owner *o;

	if (sk->sk_protocol != WF_IPPROTO_TCP)
		return 0;
	if (oldstate == BPF_TCP_ESTABLISHED)
		wf_peer_forget(sk);
	if (oldstate == BPF_TCP_LISTEN) {
		struct wf_listen_key k = wf_listen_key_of(sk);

		bpf_map_delete_elem(&wf_listen, &k);
	}
	if (newstate == BPF_TCP_CLOSE && (o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, 0)))
		wf_clamp_uncount(o);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(wf_proc_exit, struct task_struct *task, bool group_dead)
{
	struct wf_config *cfg;

	if (!group_dead)
		return 0;
	wf_proc_forget(task->tgid);
	cfg = wf_config_get();
	if (!cfg)
		return 0;
	for (int i = 0; i < WF_PER_PROCESS_MAX; i++) {
		struct wf_state_key k = { .rule = cfg->per_process[i], .tgid = task->tgid };

		if (k.rule)
			bpf_map_delete_elem(&WF_MAP_PSTATE, &k);
	}
	return 0;
}

/* A new cgroup is inside every cgroup its parent is: it inherits the parent's
 * cgroup rules (user space listed the descendants that existed when the rule
 * was set), so a container or unit started later is held too. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(wf_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct wf_index_key k = { .kind = WF_KIND_CGROUP };
	struct wf_index_val *v, copy;
	struct cgroup *parent;
	int level = cgrp->level;
	__u64 pid;

	if (level < 1 || !wf_config_has(WF_KIND_CGROUP))
		return 0;
	if (bpf_probe_read_kernel(&parent, sizeof(parent), &cgrp->ancestors[(level - 1) & 0xff]) || !parent)
		return 0;
	pid = BPF_CORE_READ(parent, kn, id);
	for (__u32 dir = 0; dir < 2; dir++) {
		k.dir = dir;
		k.id = pid;
		v = bpf_map_lookup_elem(&WF_MAP_INDEX, &k);
		if (!v)
			continue;
		copy = *v;
		k.id = BPF_CORE_READ(cgrp, kn, id);
		bpf_map_update_elem(&WF_MAP_INDEX, &k, &copy, BPF_NOEXIST);
	}
	return 0;
}
