/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The token bucket (GCRA form, see struct wf_state in wirefisher.h), and how
 * the rules a packet matches decide together (stacking). */
#ifndef WF_POLICE_H
#define WF_POLICE_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WF_RULES_MAX);
	__type(key, struct wf_state_key);
	__type(value, struct wf_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_STATE SEC(".maps");

/* Buckets of WF_RULE_PER_PROCESS rules, one per process, made here on its
 * first packet and deleted when the process exits (wf_proc_exit; such rules
 * are listed in wf_config.per_process). An LRU map cannot hold a spin lock. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct wf_state_key);
	__type(value, struct wf_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_PSTATE SEC(".maps");

/* The shared bucket and counters of a rule (user space makes it with the rule), or NULL. */
static __always_inline struct wf_state *wf_state_of(__u32 rid)
{
	struct wf_state_key k = { .rule = rid };

	return bpf_map_lookup_elem(&WF_MAP_STATE, &k);
}

/* A packet as its rules' buckets see it. */
struct wf_ask {
	__u64 now;
	__u32 tgid;     /* its owner, for WF_RULE_PER_PROCESS buckets */
	__u32 proc_slot; /* its socket's wf_sockstat.proc_slot: 1 + its owner's wf_procs slot, 0 = none yet */
	__u32 dir;
	__u32 priority; /* skb->priority: which htb class it came through */
	__u32 len;      /* payload bytes */
	int paced;      /* its TCP sender is paced */
	int passed;     /* (charge) every rule let it pass */
};

/* Makes a process's own bucket of a rule (key k), empty as a new rule's. Built on the stack: a
 * per-CPU buffer could be rewritten meanwhile by a packet program that interrupts this one (a
 * softirq). Not inlined, so that only a packet that makes a bucket zeroes its 128 bytes. */
static __noinline struct wf_state *wf_bucket_new(const struct wf_state_key *k, __u64 burst_ns)
{
	struct wf_state fresh = {};

	fresh.tat_ns = bpf_ktime_get_ns() + burst_ns;
	bpf_map_update_elem(&WF_MAP_PSTATE, k, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&WF_MAP_PSTATE, k);
}

/* The bucket a packet charges: the rule's, or its owner's own (WF_RULE_PER_PROCESS). */
static __always_inline struct wf_state *wf_bucket_of(__u32 rid, const struct wf_rule *r, const struct wf_ask *a)
{
	struct wf_state_key k = { .rule = rid, .tgid = a->tgid };
	struct wf_state *s;

	if (!(r->flags & WF_RULE_PER_PROCESS) || !a->tgid)
		return wf_state_of(rid);
	s = bpf_map_lookup_elem(&WF_MAP_PSTATE, &k);
	if (s)
		return s;
	/* its bucket went with its process too (wf_proc_exit): it charges the rule's, as a packet of no
	 * known owner does */
	if (wf_proc_slot_gone(a->proc_slot, a->tgid))
		return wf_state_of(rid);
	return wf_bucket_new(&k, r->burst_ns);
}

#define WF_DROP    0
#define WF_PASS    1
#define WF_PASS_CN 2 /* pass, and tell the sender it is over (egress; on ingress: pass) */

/* Would the bucket let len bytes pass now? Caller holds s->lock.
 *
 * via: how the packet came (WF_VIA_*). A paced TCP sender on this host, or
 * a packet that came through the rule's htb class, was already held to the
 * rate, and a drop would cost TCP a 200 ms timer (probe on egress,
 * retransmission on ingress) for a little jitter of pacing or queueing; so up
 * to one more bucketful of debt passes (on egress with a congestion
 * notification), and only beyond that is the packet dropped. The debt still
 * counts, so the long-run rate is unchanged; other traffic gets no slack. */
static __always_inline int wf_verdict(const struct wf_rule *r, struct wf_state *s, __u64 now, __u32 via)
{
	__u64 debt;

	if (s->tat_ns < now) { /* bucket full: start from now */
		s->tat_ns = now;
		s->tat_frac = 0;
	}
	debt = s->tat_ns - now;
	if ((r->flags & WF_RULE_WATCH_ONLY) || debt <= r->burst_ns || via == WF_VIA_ONSET)
		return WF_PASS;
	if (via != WF_VIA_BUCKET && debt <= 2 * r->burst_ns)
		return WF_PASS_CN;
	return WF_DROP;
}

/* Charge len bytes that passed (or count a refused packet). Caller holds s->lock. */
static __always_inline void wf_charge(const struct wf_rule *r, struct wf_state *s, __u64 now, __u32 len,
				      __u32 via, int passed)
{
	if (passed && via == WF_VIA_ONSET) {
		s->shaped_bytes += len; /* sent before its sender knew of the limit: no debt */
	} else if (passed) {
		__u64 cost = (__u64)len * r->ns_per_byte; /* len < 2^20, ns_per_byte < 2^36 */
		__u64 frac = (__u64)s->tat_frac + (cost & ((1ULL << WF_FP_SHIFT) - 1));

		s->tat_ns += (cost >> WF_FP_SHIFT) + (frac >> WF_FP_SHIFT);
		s->tat_frac = frac & ((1ULL << WF_FP_SHIFT) - 1);
		if (via == WF_VIA_PACED)
			s->paced_bytes += len;
		else if (via == WF_VIA_SHAPED)
			s->shaped_bytes += len;
	}
	wf_rate_add(&s->rate, now, len, passed);
}

/* Did this received packet come through the rule's htb class? (cgroup_skb, after the ifb) */
static __always_inline int wf_shaped(__u32 priority, const struct wf_rule *r)
{
	return r->shape_class && (priority >> 16) == (WF_SHAPE_MAJOR >> 16) && (priority & WF_SHAPE_MAX) == r->shape_class;
}

/* How the packet came for this rule: paced = its TCP sender is paced. */
static __always_inline __u32 wf_via(const struct wf_rule *r, __u32 dir, int paced, __u32 priority)
{
	if (dir == WF_DIR_INGRESS && wf_shaped(priority, r))
		return ((priority >> WF_SHAPE_KIND_SHIFT) & 0xf) == WF_SHAPE_ONSET ? WF_VIA_ONSET : WF_VIA_SHAPED;
	return paced ? WF_VIA_PACED : WF_VIA_BUCKET;
}

/* One rule's answer for a packet: 0 if it holds nothing back (gone, pending,
 * no bucket), else its WF_* verdict + 1. A global function: the verifier
 * checks it once, not once per rule a packet may match. */
__noinline int wf_rule_ask(__u32 rid, const struct wf_ask *a)
{
	struct wf_rule *r = bpf_map_lookup_elem(&WF_MAP_RULES, &rid);
	struct wf_state *s;
	int v;

	if (!a || !r || (r->flags & WF_RULE_PENDING) || !(s = wf_bucket_of(rid, r, a)))
		return 0;
	bpf_spin_lock(&s->lock);
	v = wf_verdict(r, s, a->now, wf_via(r, a->dir, a->paced, a->priority));
	bpf_spin_unlock(&s->lock);
	return v + 1;
}

/* Charges the rule's bucket for a packet that passed, or counts it as dropped. */
__noinline int wf_rule_charge(__u32 rid, const struct wf_ask *a)
{
	struct wf_rule *r = bpf_map_lookup_elem(&WF_MAP_RULES, &rid);
	struct wf_state *s;

	if (!a || !r || !(s = wf_bucket_of(rid, r, a)))
		return 0;
	bpf_spin_lock(&s->lock);
	wf_charge(r, s, a->now, a->len, wf_via(r, a->dir, a->paced, a->priority), a->passed);
	bpf_spin_unlock(&s->lock);
	return 0;
}

/* The one rule a packet matches decides and is charged in one step (one lock). */
__noinline int wf_rule_police(__u32 rid, const struct wf_ask *a)
{
	struct wf_rule *r = bpf_map_lookup_elem(&WF_MAP_RULES, &rid);
	struct wf_state *s;
	__u32 via;
	int v;

	if (!a || !r || (r->flags & WF_RULE_PENDING) || !(s = wf_bucket_of(rid, r, a)))
		return 0;
	via = wf_via(r, a->dir, a->paced, a->priority);
	bpf_spin_lock(&s->lock);
	v = wf_verdict(r, s, a->now, via);
	wf_charge(r, s, a->now, a->len, via, v != WF_DROP);
	bpf_spin_unlock(&s->lock);
	return v + 1;
}

/*
 * The verdict of every rule a packet matches: it passes only if each lets it
 * (the strictest wins). First each bucket is asked, then, if all said yes,
 * each is charged; a refused packet takes nothing from any bucket and is
 * counted as dropped only by the rules that refused it. Each bucket is
 * locked on its own (one lock at a time is all BPF allows); a packet of
 * another CPU between the two steps may pass on the same debt, which the
 * next packets pay for. A global function: the verifier checks its two loops
 * once, not on every path of wf_ingress and wf_egress.
 */
__noinline int wf_police(const struct wf_ids *m, struct wf_ask *a)
{
	int verdict = WF_PASS, said[WF_MATCH_MAX] = {};
	__u32 n;

	if (!m || !a)
		return WF_PASS;
	n = m->n < WF_MATCH_MAX ? m->n : WF_MATCH_MAX;
	a->now = bpf_ktime_get_ns();
	if (n == 1) {
		int v = wf_rule_police(m->id[0], a);

		return v ? v - 1 : WF_PASS;
	}
	for (__u32 i = 0; i < n; i++) {
		int v = wf_rule_ask(m->id[i & (WF_MATCH_MAX - 1)], a);

		said[i & (WF_MATCH_MAX - 1)] = v;
		if (v == WF_DROP + 1)
			verdict = WF_DROP;
		else if (v == WF_PASS_CN + 1 && verdict == WF_PASS)
			verdict = WF_PASS_CN;
	}
	a->passed = verdict != WF_DROP;
	for (__u32 i = 0; i < n; i++) {
		int v = said[i & (WF_MATCH_MAX - 1)];

		if (v && (a->passed || v == WF_DROP + 1))
			wf_rule_charge(m->id[i & (WF_MATCH_MAX - 1)], a);
	}
	return verdict;
}

#endif
