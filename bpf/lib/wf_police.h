/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The token bucket (GCRA form, see struct wf_state in wirefisher.h). */
#ifndef WF_POLICE_H
#define WF_POLICE_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct wf_rule_key);
	__type(value, struct wf_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_RULES SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct wf_rule_key);
	__type(value, struct wf_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_STATE SEC(".maps");

/* Does the process rule apply to this owner? A rule made for one process
 * never applies to a later process that reuses its PID. */
static __always_inline int wf_rule_matches(const struct wf_rule *r, const struct wf_owner *o)
{
	if (r->start_min_ns == 0 && r->start_max_ns == 0)
		return 1;
	return o->start_ns >= r->start_min_ns && o->start_ns < r->start_max_ns;
}

/* The process rule of this direction that applies to the owner, or NULL. */
static __always_inline struct wf_rule *wf_rule_for(const struct wf_owner *o, __u32 dir)
{
	struct wf_rule_key key = { .kind = WF_KIND_PROCESS, .dir = dir, .id = o->tgid };
	struct wf_rule *r = bpf_map_lookup_elem(&WF_MAP_RULES, &key);

	return r && wf_rule_matches(r, o) ? r : NULL;
}

/* The bucket and counters of that rule, or NULL. */
static __always_inline struct wf_state *wf_state_for(const struct wf_owner *o, __u32 dir)
{
	struct wf_rule_key key = { .kind = WF_KIND_PROCESS, .dir = dir, .id = o->tgid };

	return bpf_map_lookup_elem(&WF_MAP_STATE, &key);
}

#define WF_DROP    0
#define WF_PASS    1
#define WF_PASS_CN 2 /* pass, and tell the sender it is over (egress; on ingress: pass) */

/* Charge len bytes to the rule's bucket. The rule's rates are updated under
 * the same lock, so nothing is lost when packets of one rule arrive on
 * several CPUs at once.
 *
 * via: how the packet came (WF_VIA_*). A paced TCP sender on this host, or
 * a packet that came through the rule's htb class, was already held to the
 * rate, and a drop would cost TCP a 200 ms timer (probe on egress,
 * retransmission on ingress) for a little jitter of pacing or queueing; so up
 * to one more bucketful of debt passes (on egress with a congestion
 * notification), and only beyond that is the packet dropped. The debt still
 * counts, so the long-run rate is unchanged; other traffic gets no slack. */
static __always_inline int wf_police(const struct wf_rule *r, struct wf_state *s, __u32 len, __u32 via)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 cost = (__u64)len * r->ns_per_byte; /* len < 2^20, ns_per_byte < 2^36 */
	__u64 debt;
	int verdict;

	bpf_spin_lock(&s->lock);
	if (s->tat_ns < now) {           /* bucket full: start from now */
		s->tat_ns = now;
		s->tat_frac = 0;
	}
	debt = s->tat_ns - now;
	if ((r->flags & WF_RULE_WATCH_ONLY) || debt <= r->burst_ns)
		verdict = WF_PASS;
	else if (via != WF_VIA_BUCKET && debt <= 2 * r->burst_ns)
		verdict = WF_PASS_CN;
	else
		verdict = WF_DROP;
	if (verdict != WF_DROP) {
		__u64 frac = (__u64)s->tat_frac + (cost & ((1ULL << WF_FP_SHIFT) - 1));

		s->tat_ns += (cost >> WF_FP_SHIFT) + (frac >> WF_FP_SHIFT);
		s->tat_frac = frac & ((1ULL << WF_FP_SHIFT) - 1);
	}
	wf_rate_add(&s->rate, now, len, verdict != WF_DROP);
	if (verdict != WF_DROP && via == WF_VIA_PACED)
		s->paced_bytes += len;
	else if (verdict != WF_DROP && via == WF_VIA_SHAPED)
		s->shaped_bytes += len;
	bpf_spin_unlock(&s->lock);
	return verdict;
}

#endif
