/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Which rules a flow matches. Every rule kind is answered here, once per flow
 * and rule generation, not once per packet:
 *
 *  - exact kinds (process, user, name, executable, cgroup, device) are one
 *    lookup each in wf_index, keyed by what the socket's owner has (or the
 *    device the packet crosses);
 *  - name patterns with wildcards and address/protocol/port matchers are walked
 *    (wf_names, wf_tuples; bpf_loop, bounded by their counts).
 *
 * The answer is kept per socket and direction (wf_match) with the generation
 * it was found in and the flow it was found for (tuple, protocol, device): a
 * TCP connection looks once per rule change; an unconnected UDP socket looks
 * again when it talks to another peer. So the cost of a packet does not grow
 * with the number of rules, only with the number of rules that match it.
 * Where no address/port rule names the flow's protocol and direction, the
 * answer does not depend on the flow's addresses and ports (by_flow 0): then
 * a packet's are not even read (wf_handle_rules).
 */
#ifndef WF_MATCH_H
#define WF_MATCH_H

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WF_RULES_MAX);
	__type(key, __u32);
	__type(value, struct wf_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_RULES SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct wf_index_key);
	__type(value, struct wf_index_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_INDEX SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WF_TUPLES_MAX);
	__type(key, __u32);
	__type(value, struct wf_tuple_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_TUPLES SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WF_NAMES_MAX);
	__type(key, __u32);
	__type(value, struct wf_name_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_NAMES SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wf_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_CONFIG SEC(".maps");

/* The flow a match is asked for (compared whole: callers zero it first, or write every
 * byte; wf_handle_rules fills t in only when wf_match_sk asks for it). */
struct wf_what {
	struct wf_tuple t; /* as this end sees it */
	__u32 proto;       /* IPPROTO_* of the socket or packet */
	__u32 dir;
	__u64 dev;         /* netns inode << 32 | ifindex; 0 = not known (then device rules do not match) */
};

/* The rules a flow matches in one direction. */
struct wf_ids {
	__u32 n;
	__u32 id[WF_MATCH_MAX];
};

/* What a socket matched, per direction, and for which flow (kept in the
 * socket's wf_sockstat, lib/wf_account.h; kernel only).
 * seq: 0 never written; odd while a writer (holding the lock) changes the entry.
 * by_flow: the answer depends on the flow's addresses and ports (wf_resolve), so
 * what is compared whole; else only its protocol and device. */
struct wf_match_dir {
	__u32 gen;
	__u32 seq;
	__u32 by_flow;
	__u32 pad;
	struct wf_what what;
	struct wf_ids ids;
};

struct wf_match {
	struct bpf_spin_lock lock;
	__u32 pad;
	struct wf_match_dir d[2];
};

/* Adds a rule id once. Global functions (here and below) are checked once by
 * the verifier, not at every call: inlined, the matcher took it 370,000 steps. */
__noinline int wf_ids_add(struct wf_ids *m, __u32 id)
{
	if (!m)
		return 0;
	for (int i = 0; i < WF_MATCH_MAX; i++) {
		if (i >= m->n)
			break;
		if (m->id[i] == id)
			return 0;
	}
	if (m->n < WF_MATCH_MAX) {
		m->id[m->n & (WF_MATCH_MAX - 1)] = id;
		m->n++;
	}
	return 0;
}

/* One wf_index lookup: what it is for. */
struct wf_index_ask {
	__u64 id;          /* the wf_index id (see WF_KIND_*) */
	__u64 dev;         /* PATH: the executable's device, which the rule must have too */
	__u64 start_ns;    /* PROCESS: the owner's start, which must lie in the rule's window */
	__u32 kind;
	__u32 dir;
};

/* Adds the rules wf_index has for q that still say what the index says (a PID
 * reused by another process, an executable's inode on another device: no). */
__noinline int wf_match_index(struct wf_ids *m, const struct wf_index_ask *q)
{
	struct wf_index_key k;
	struct wf_index_val *v;
	struct wf_rule *r;

	if (!m || !q)
		return 0;
	k.kind = q->kind;
	k.dir = q->dir;
	k.id = q->id;
	v = bpf_map_lookup_elem(&WF_MAP_INDEX, &k);
	if (!v)
		return 0;
	for (int i = 0; i < WF_INDEX_IDS; i++) {
		__u32 rid = v->ids[i];

		if (!rid)
			continue;
		r = bpf_map_lookup_elem(&WF_MAP_RULES, &rid);
		if (!r || r->dir != q->dir)
			continue;
		if (r->kind == WF_KIND_PROCESS && (r->start_min_ns || r->start_max_ns) &&
		    (q->start_ns < r->start_min_ns || q->start_ns >= r->start_max_ns))
			continue;
		if (r->kind == WF_KIND_PATH && q->dev != r->target_dev)
			continue;
		wf_ids_add(m, rid);
	}
	return 0;
}

/* The index lookup of one kind for this flow. */
static __always_inline void wf_match_one(struct wf_ids *m, const struct wf_what *w, const struct wf_owner *o,
					 __u32 kind, __u64 id, __u64 dev)
{
	struct wf_index_ask q = { .id = id, .dev = dev, .start_ns = o ? o->start_ns : 0, .kind = kind, .dir = w->dir };

	wf_match_index(m, &q);
}

/* Is addr inside prefix/plen? (both in network byte order) */
static __always_inline int wf_prefix_has(const __u32 *prefix, __u32 plen, const __u32 *addr)
{
	for (int i = 0; i < 4; i++) {
		__u32 bits = plen > 32 * i ? plen - 32 * i : 0, mask;

		if (!bits)
			break;
		mask = bits >= 32 ? 0xffffffffU : bpf_htonl(0xffffffffU << (32 - bits));
		if ((addr[i] ^ prefix[i]) & mask)
			return 0;
	}
	return 1;
}

struct wf_walk {
	const struct wf_what *w;
	const struct wf_owner *o;
	struct wf_ids *m;
	int by_flow;       /* an address/port rule of the flow's protocol and direction was looked at */
};

static long wf_tuple_step(__u32 i, void *ctx)
{
	struct wf_walk *c = ctx;
	const struct wf_what *w = c->w;
	struct wf_tuple_rule *t = bpf_map_lookup_elem(&WF_MAP_TUPLES, &i);

	if (!t || !t->rule || t->dir != w->dir || (t->proto && t->proto != w->proto))
		return 0;
	c->by_flow = 1; /* from here on, the answer depends on the flow's addresses and ports */
	if (t->family && t->family != w->t.family)
		return 0;
	if (w->t.lport < t->lport_lo || w->t.lport > t->lport_hi || w->t.rport < t->rport_lo || w->t.rport > t->rport_hi)
		return 0;
	if (!wf_prefix_has(t->laddr, t->lplen, w->t.laddr) || !wf_prefix_has(t->raddr, t->rplen, w->t.raddr))
		return 0;
	wf_ids_add(c->m, t->rule);
	return 0;
}

/* Glob match, * and ?, ASCII case folded, on NUL-terminated names of at most
 * 15 bytes: the classic backtrack to the last star, one step per bpf_loop
 * round (so the verifier checks one step, not every path through the names).
 * A name it cannot decide in WF_GLOB_STEPS steps does not match. */
#define WF_GLOB_STEPS 96

struct wf_glob {
	char p[WF_COMM_LEN];
	char s[WF_COMM_LEN];
	int pi, si, star, mark;
	int result;
};

static __always_inline char wf_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static long wf_glob_step(__u32 i, void *ctx)
{
	struct wf_glob *g = ctx;
	char pc = g->pi >= 0 && g->pi < WF_COMM_LEN ? wf_lower(g->p[g->pi & (WF_COMM_LEN - 1)]) : 0;
	char sc = g->si >= 0 && g->si < WF_COMM_LEN ? wf_lower(g->s[g->si & (WF_COMM_LEN - 1)]) : 0;

	if (!sc) {
		if (pc == '*') {
			g->pi++;
			return 0;
		}
		g->result = pc == 0;
		return 1;
	}
	if (pc == '?' || (pc && pc == sc)) {
		g->pi++;
		g->si++;
	} else if (pc == '*') {
		g->star = g->pi++;
		g->mark = g->si;
	} else if (g->star >= 0) {
		g->pi = g->star + 1;
		g->si = ++g->mark;
	} else {
		g->result = 0;
		return 1;
	}
	return 0;
}

/* Does the name pattern match the owner's name (up < 0) or that of its
 * ancestor up? from is where the match starts, always 0. A global function,
 * and from an argument, so that the verifier knows neither the names nor
 * where the counters start, and checks a step about once: with the constants
 * the step starts from in view it walked every path through the names
 * (300,000 steps a program), and with the counters starting at 0 a step for
 * each value they took (17,044 instructions in each of six programs; 1,000 now). */
__noinline int wf_glob_owner(const struct wf_name_rule *n, const struct wf_owner *o, int up, int from)
{
	struct wf_glob g = { .pi = from, .si = from, .star = from - 1, .mark = from };

	if (!n || !o)
		return 0;
	__builtin_memcpy(g.p, n->pattern, WF_COMM_LEN);
	/* constant offsets only: the verifier cannot follow an index the compiler checked in another register */
	_Static_assert(WF_ANCESTORS == 3, "wf_glob_owner names each ancestor");
	if (up < 0)
		__builtin_memcpy(g.s, o->comm, WF_COMM_LEN);
	else if (up == 0)
		__builtin_memcpy(g.s, o->up[0].comm, WF_COMM_LEN);
	else if (up == 1)
		__builtin_memcpy(g.s, o->up[1].comm, WF_COMM_LEN);
	else if (up == 2)
		__builtin_memcpy(g.s, o->up[2].comm, WF_COMM_LEN);
	else
		return 0;
	bpf_loop(WF_GLOB_STEPS, wf_glob_step, &g, 0);
	return g.result;
}

static long wf_name_step(__u32 i, void *ctx)
{
	struct wf_walk *c = ctx;
	struct wf_name_rule *n = bpf_map_lookup_elem(&WF_MAP_NAMES, &i);
	const struct wf_owner *o = c->o;

	if (!n || !n->rule || n->dir != c->w->dir || !o)
		return 0;
	if (wf_glob_owner(n, o, -1, 0)) {
		wf_ids_add(c->m, n->rule);
		return 0;
	}
	for (int k = 0; k < WF_ANCESTORS; k++) {
		if (!o->up[k].tgid)
			break;
		if (wf_glob_owner(n, o, k, 0)) {
			wf_ids_add(c->m, n->rule);
			break;
		}
	}
	return 0;
}

/* Every rule of w->dir that matches the flow (o may be NULL: a socket nobody
 * owns). Returns whether the answer depends on the flow's addresses and ports:
 * an address/port rule names its protocol (or any) and direction. A global
 * function, so the verifier checks it once. */
__noinline int wf_resolve(const struct wf_config *cfg, const struct wf_owner *o,
			  const struct wf_what *w, struct wf_ids *m)
{
	struct wf_walk walk = { .w = w, .o = o, .m = m };
	__u32 kinds;

	if (!cfg || !w || !m)
		return 0;
	kinds = cfg->kinds;
	m->n = 0;
	if (o) {
		if (kinds & (1 << WF_KIND_PROCESS))
			wf_match_one(m, w, o, WF_KIND_PROCESS, o->tgid, 0);
		if (kinds & (1 << WF_KIND_USER))
			wf_match_one(m, w, o, WF_KIND_USER, o->uid, 0);
		if (kinds & (1 << WF_KIND_CGROUP))
			wf_match_one(m, w, o, WF_KIND_CGROUP, o->cgroup_id, 0);
		if (kinds & (1 << WF_KIND_PATH))
			wf_match_one(m, w, o, WF_KIND_PATH, o->exe_ino, o->exe_dev);
		if (kinds & (1 << WF_KIND_NAME))
			wf_match_one(m, w, o, WF_KIND_NAME, o->name_hash, 0);
		/* a child of a process that a name or executable rule matches is matched too */
		for (int k = 0; k < WF_ANCESTORS; k++) {
			if (!o->up[k].tgid)
				break;
			if (kinds & (1 << WF_KIND_PATH))
				wf_match_one(m, w, o, WF_KIND_PATH, o->up[k].exe_ino, o->up[k].exe_dev);
			if (kinds & (1 << WF_KIND_NAME))
				wf_match_one(m, w, o, WF_KIND_NAME, o->up[k].name_hash, 0);
		}
		if (kinds & (1 << WF_KIND_NAME)) {
			if (cfg->n_names)
				bpf_loop(cfg->n_names < WF_NAMES_MAX ? cfg->n_names : WF_NAMES_MAX, wf_name_step, &walk, 0);
		}
	}
	if ((kinds & (1 << WF_KIND_IFACE)) && w->dev)
		wf_match_one(m, w, o, WF_KIND_IFACE, w->dev, 0);
	if ((kinds & (1 << WF_KIND_TUPLE)) && cfg->n_tuples)
		bpf_loop(cfg->n_tuples < WF_TUPLES_MAX ? cfg->n_tuples : WF_TUPLES_MAX, wf_tuple_step, &walk, 0);
	return walk.by_flow;
}

static __always_inline struct wf_config *wf_config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&WF_MAP_CONFIG, &zero);
}

/* Has any rule of this kind? */
static __always_inline int wf_config_has(__u32 kind)
{
	struct wf_config *cfg = wf_config_get();

	return cfg && (cfg->kinds & (1 << kind));
}

/* Rules matching w, without remembering (sockops and iterators: no lock there). */
static __always_inline void wf_match_now(const struct wf_owner *o, const struct wf_what *w, struct wf_ids *m)
{
	struct wf_config *cfg = wf_config_get();

	m->n = 0;
	if (cfg && cfg->kinds)
		wf_resolve(cfg, o, w, m);
}

/* Word by word: clang has no memcmp for BPF. */
static __always_inline int wf_what_same(const struct wf_what *a, const struct wf_what *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	for (int i = 0; i < sizeof(*a) / 8; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

/* Whether d holds the answer for w; flow: whether w->t is filled in (else only
 * an answer that does not depend on the flow's addresses and ports fits). */
static __always_inline int wf_match_fits(const struct wf_match_dir *d, __u32 gen, const struct wf_what *w, int flow)
{
	if (d->gen != gen || d->what.proto != w->proto || d->what.dev != w->dev)
		return 0;
	return !d->by_flow || (flow && wf_what_same(&d->what, w));
}

#define WF_COMPILER_BARRIER() asm volatile("" ::: "memory")

/*
 * Rules matching w for a packet of a full socket: what the socket remembers
 * (c: its wf_sockstat's match, NULL if it has none) if it was found in this
 * generation for this same flow, else found now and remembered. Two CPUs may
 * find it at once; both find the same, and the lock keeps each copy whole.
 * The owner is looked up (into *o, once) only when the rules must be found
 * anew: a remembered match needs no second sk_storage lookup (issue 9).
 *
 * flow 0: w->t is not filled in (the packet's addresses and ports were not
 * read). A remembered answer that does not depend on them is used as it is;
 * else this returns WF_MATCH_NEED_FLOW, and the caller fills w->t in and asks
 * again with flow 1. Then it returns 0, as it does with the answer in m.
 *
 * The packet path reads the entry without the lock, as a seqlock: the lock
 * taken twice per packet cost about a fifth of the monitoring (issue 9). A
 * writer makes seq odd, writes, and makes it even again; a reader that sees
 * seq odd or changed across its copy resolves the rules itself. That needs
 * loads kept in order, which x86 does (TSO) and the compiler barriers keep;
 * weakly ordered CPUs read under the lock.
 */
static __always_inline int wf_match_read(struct wf_match *c, struct wf_match_dir *d, __u32 gen,
					 const struct wf_what *w, int flow, struct wf_ids *m)
{
	int hit = 0;
#if defined(__TARGET_ARCH_x86)
	__u32 seq = *(volatile __u32 *)&d->seq;

	WF_COMPILER_BARRIER();
	if (!seq || (seq & 1) || !wf_match_fits(d, gen, w, flow))
		return 0;
	m->n = d->ids.n;
	if (m->n) /* a flow that matched nothing, the common case, copies no ids */
		*m = d->ids;
	WF_COMPILER_BARRIER();
	hit = *(volatile __u32 *)&d->seq == seq;
#else
	bpf_spin_lock(&c->lock);
	if (d->seq && !(d->seq & 1) && wf_match_fits(d, gen, w, flow)) {
		*m = d->ids;
		hit = 1;
	}
	bpf_spin_unlock(&c->lock);
#endif
	if (!hit)
		m->n = 0;
	return hit;
}

#define WF_MATCH_NEED_FLOW 1

static __always_inline int wf_match_sk(struct wf_config *cfg, struct wf_match *c, struct bpf_sock *sk,
				       struct wf_owner **o, const struct wf_what *w, int flow, struct wf_ids *m)
{
	struct wf_match_dir *d;
	__u32 gen, seq;
	int by_flow;

	m->n = 0;
	if (!cfg || !cfg->kinds)
		return 0;
	gen = *(volatile __u32 *)&cfg->gen; /* read before the rules: a change after it bumps gen again */
	d = c ? &c->d[w->dir & 1] : NULL;
	if (c && d && wf_match_read(c, d, gen, w, flow, m))
		return 0;
	if (!flow)
		return WF_MATCH_NEED_FLOW;
	if (!*o)
		*o = bpf_sk_storage_get(&WF_MAP_OWNER, sk, 0, 0);
	by_flow = wf_resolve(cfg, *o, w, m);
	if (!c || !d)
		return 0;
	bpf_spin_lock(&c->lock);
	seq = d->seq | 1; /* odd: being written */
	*(volatile __u32 *)&d->seq = seq;
	WF_COMPILER_BARRIER();
	d->gen = gen;
	d->by_flow = by_flow;
	d->what = *w;
	d->ids = *m;
	WF_COMPILER_BARRIER();
	*(volatile __u32 *)&d->seq = seq + 1;
	bpf_spin_unlock(&c->lock);
	return 0;
}

/* The device a packet crosses, as wf_index keys it (cgroup_skb after the route, tcx). */
static __always_inline __u64 wf_dev_of_skb(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct net_device *dev = kskb->dev;
	__u64 ns = dev ? dev->nd_net.net->ns.inum : 0; /* BTF loads, no helper call per step */

	return ns << 32 | skb->ifindex;
}

/* The device a connected socket's route leaves by (sockops, iterators), or 0. */
static __always_inline __u64 wf_dev_of_sk(struct sock *sk)
{
	struct net_device *dev = BPF_CORE_READ(sk, sk_dst_cache, dev);
	__u64 ns;

	if (!dev)
		return 0;
	ns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	return ns << 32 | BPF_CORE_READ(dev, ifindex);
}

#endif
