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

/* Charge len bytes to the rule's bucket. Returns 1 to pass, 0 to drop.
 * The rule's rates are updated under the same lock, so nothing is lost when
 * packets of one rule arrive on several CPUs at once. */
static __always_inline int wf_police(const struct wf_rule *r, struct wf_state *s, __u32 len)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 cost = (__u64)len * r->ns_per_byte; /* len < 2^20, ns_per_byte < 2^36 */
	int pass;

	bpf_spin_lock(&s->lock);
	if (s->tat_ns < now) {           /* bucket full: start from now */
		s->tat_ns = now;
		s->tat_frac = 0;
	}
	pass = (r->flags & WF_RULE_WATCH_ONLY) || s->tat_ns - now <= r->burst_ns;
	if (pass) {
		__u64 frac = (__u64)s->tat_frac + (cost & ((1ULL << WF_FP_SHIFT) - 1));

		s->tat_ns += (cost >> WF_FP_SHIFT) + (frac >> WF_FP_SHIFT);
		s->tat_frac = frac & ((1ULL << WF_FP_SHIFT) - 1);
	}
	wf_rate_add(&s->rate, now, len, pass);
	bpf_spin_unlock(&s->lock);
	return pass;
}

#endif
