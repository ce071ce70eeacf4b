/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The congestion-control switch (the original's tcp_switch_module): a TCP
 * connection that a WF_RULE_CC rule matches gets that rule's algorithm, set
 * from sockops when it is established and from wf_iter_pace for connections
 * that were open before. The kernel makes no change when the algorithm is
 * already the one asked for; an algorithm it lacks leaves the connection as it is.
 */
#ifndef WF_CC_H
#define WF_CC_H

#define WF_TCP_CONGESTION 13

/* ctx: a sockops context or a TCP socket (iter/tcp). */
static __always_inline void wf_cc_apply(void *ctx, const struct wf_ids *m)
{
	for (int i = 0; i < WF_MATCH_MAX; i++) {
		__u32 id = m->id[i];
		struct wf_rule *r;
		char cc[WF_CC_LEN];

		if (i >= m->n)
			break;
		r = bpf_map_lookup_elem(&WF_MAP_RULES, &id);
		if (!r || !(r->flags & WF_RULE_CC) || !r->cc[0])
			continue;
		__builtin_memcpy(cc, r->cc, sizeof(cc));
		cc[WF_CC_LEN - 1] = 0;
		bpf_setsockopt(ctx, WF_SOL_TCP, WF_TCP_CONGESTION, cc, sizeof(cc));
		return; /* the first such rule wins */
	}
}

#endif
