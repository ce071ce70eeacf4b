/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP pacing for egress limits. A drop on egress makes TCP wait for its
 * 200 ms probe timer; pacing (SO_MAX_PACING_RATE, honoured by TCP itself
 * without the fq qdisc) makes it send at the rate in the first place, so
 * the token bucket behind it seldom has to drop.
 */
#ifndef WF_PACE_H
#define WF_PACE_H

#define WF_SOL_SOCKET 1
#define WF_SO_MAX_PACING_RATE 47

/* The pacing rate for a socket of this owner, or 0 for none. */
static __always_inline __u32 wf_pace_for(const struct wf_owner *o)
{
	struct wf_rule_key key = { .kind = WF_KIND_PROCESS, .dir = WF_DIR_EGRESS, .id = o->tgid };
	struct wf_rule *r = bpf_map_lookup_elem(&WF_MAP_RULES, &key);

	if (!r || !wf_rule_matches(r, o) || (r->flags & WF_RULE_WATCH_ONLY))
		return 0;
	return r->pace_rate;
}

#endif
