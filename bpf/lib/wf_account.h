/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Where a packet is counted: per socket, per process, per rule. */
#ifndef WF_ACCOUNT_H
#define WF_ACCOUNT_H

/*
 * A socket's rates, the process they count for, and the rules its packets
 * matched. A packet looks up only this storage, not its socket's owner and a
 * match cache of their own as well (issue 9: each sk_storage lookup is a
 * helper call): the owner's tgid is copied here on the socket's first packet
 * and again after wf_owner_gen moved on, and the rules it matched are kept in
 * match (lib/wf_match.h). Kernel-only (user space reads the rates through
 * wf_iter_conns as struct wf_conn), so not mirrored in C#.
 */
struct wf_sockstat {
	__u64 owner_gen;   /* wf_owner_gen + 1 when tgid was copied from the owner; 0 = never */
	__u32 tgid;        /* the owner's, 0 = no known owner */
	__u32 proc_slot;   /* 1 + tgid's slot in wf_procs, 0 = not looked up yet */
	__u32 ack_edge;    /* a shaped receiver's: the right edge its last ACK showed (lib/wf_shape.h, wf_ack_window) */
	__u32 ack_edge_set;
	__u32 onset;       /* WF_ONSET_* (lib/wf_shape.h) */
	__u32 onset_edge;  /* WF_ONSET_TS: the right edge TCP showed in the first lowered ACK */
	__u32 onset_tsval; /* WF_ONSET_TS: that ACK's TCP timestamp */
	__u32 cwnd;        /* 1: Wirefisher clamped its congestion window for pacing (lib/wf_pace.h) */
	__u64 onset_ns;    /* WF_ONSET_SEEN: since when */
	struct wf_flowstat f;
	struct wf_match match;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* no CLONE: an accepted socket starts its own count */
	__type(key, int);
	__type(value, struct wf_sockstat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_FLOW SEC(".maps");

/* Moves on each time an existing socket is given another owner (wf_seed_apply:
 * sockets open before Wirefisher, or claimed by a new PID rule), so that every
 * wf_sockstat copies its owner's tgid again on its next packet. A socket made
 * later gets its owner before its first packet (wf_sock_create). */
__u64 wf_owner_gen;

/* The processes' rates, one slot each (struct wf_proc); slot 0 is traffic
 * with no known owner. A packet reaches its process's slot through the index
 * its socket's rates keep (wf_sockstat.proc_slot): an array lookup instead of a
 * hash lookup per packet (issue 9: 64-byte UDP over veth, wf_ingress 215-240
 * -> 160-171 ns and wf_egress 272-311 -> 207-213 ns per run on 2026-12-03). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WF_PROCS_MAX);
	__type(key, __u32);
	__type(value, struct wf_proc);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_PROCS SEC(".maps");

/* tgid -> its slot: how a process finds its slot on its first packet, how
 * user space lists the processes, and how wf_proc_exit frees the slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WF_PROCS_MAX); /* entries go when their process exits (wf_proc_exit) */
	__type(key, struct wf_proc_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_PSLOTS SEC(".maps");

/* Counts a packet of len bytes into the open window's pending count (struct wf_rate). */
#define WF_PENDING_ONE(len) (((__u64)(len) << WF_PENDING_SHIFT) | 1)

/* The rates a window of wb bytes closed after dt ns adds (the caller alone closes it); first: no window closed before. */
static __always_inline void wf_rate_close(struct wf_rate *r, __u64 wb, __u64 dt, int first)
{
	/* in microseconds, so wb * 1e6 cannot overflow (wb < 2^36, see WF_PENDING_SHIFT) */
	__u64 inst = wb * 1000000 / (dt / 1000), sm = r->smoothed;

	r->smoothed = first ? inst : sm - (sm >> 3) + (inst >> 3);
	if (inst > r->peak)
		r->peak = inst;
	r->instant = inst;
}

/* The original's per-packet update (see struct wf_rate). Caller holds the lock. */
static __always_inline void wf_rate_add(struct wf_rate *r, __u64 now, __u32 len, int passed)
{
	__u64 dt, p;

	if (!passed) {
		r->dropped_bytes += len;
		r->dropped_packets += 1;
		return;
	}
	if (!r->first_ns) {
		r->first_ns = now;
		r->win_start_ns = now;
	}
	r->pending += WF_PENDING_ONE(len);
	dt = now - r->win_start_ns;
	/* dt < 0: now was read before the lock, and another CPU's later now closed the window meanwhile
	 * (as unsigned it would close a second window at once, with an instant rate of 0) */
	if ((__s64)dt >= (__s64)WF_WINDOW_NS) {
		p = r->pending;
		r->pending = 0;
		r->bytes += p >> WF_PENDING_SHIFT;
		r->packets += p & WF_PENDING_PACKETS;
		wf_rate_close(r, p >> WF_PENDING_SHIFT, dt, r->windows == 0);
		r->windows += 2; /* stays even: user space reads this record under the lock (BPF_F_LOCK) */
		r->win_start_ns = now;
	}
}

/*
 * The same update for the counters of sockets and processes, without a lock:
 * a process's packets come on every CPU at once, and a lock per packet cost
 * more than all the rest of the monitoring (issue 9). A packet is one atomic
 * add to the open window's pending count (bytes and packets in one word), so
 * no byte is lost: two adds, one for bytes and one for packets, cost about
 * 12 ns a run more here (issue 9: 64-byte UDP over veth, medians of 6 runs
 * 131/135 -> 118/124 ns for wf_ingress/wf_egress). A
 * window is closed by the one CPU whose compare-and-swap moves its start on;
 * that CPU takes the pending count (an exchange), adds it to the totals and
 * alone writes the rates. Packets another CPU adds meanwhile count in the next
 * window, so a window's rate may be off by a packet while the totals stay
 * exact. While a window closes, windows is odd (the closer adds 1 before it
 * takes the pending count and 1 after it wrote the rates): a sequence count,
 * so that a reader can tell a copy made half-way through a close (its totals a
 * window short or over) and copy again (wf_rate_read here, ProcRates in
 * Wirefisher.Native/Maps). Needs BPF atomics (clang -mcpu=v3).
 */
static __always_inline void wf_rate_add_shared(struct wf_rate *r, __u64 now, __u32 len, int passed)
{
	__u64 start, dt, p;
	int first;

	if (!passed) {
		__sync_fetch_and_add(&r->dropped_bytes, len);
		__sync_fetch_and_add(&r->dropped_packets, 1);
		return;
	}
	if (!*(volatile __u64 *)&r->first_ns && __sync_val_compare_and_swap(&r->first_ns, 0, now) == 0)
		*(volatile __u64 *)&r->win_start_ns = now;
	__sync_fetch_and_add(&r->pending, WF_PENDING_ONE(len));
	start = *(volatile __u64 *)&r->win_start_ns;
	dt = now - start;
	/* start 0: the first packet's CPU has not written it yet; dt < 0: another CPU's later now */
	if (!start || (__s64)dt < (__s64)WF_WINDOW_NS || __sync_val_compare_and_swap(&r->win_start_ns, start, now) != start)
		return;
	first = __sync_fetch_and_add(&r->windows, 1) == 0; /* odd: closing; 0 before it: no window closed yet */
	p = __sync_lock_test_and_set(&r->pending, 0);
	__sync_fetch_and_add(&r->bytes, p >> WF_PENDING_SHIFT);
	__sync_fetch_and_add(&r->packets, p & WF_PENDING_PACKETS);
	wf_rate_close(r, p >> WF_PENDING_SHIFT, dt, first);
	__sync_fetch_and_add(&r->windows, 1); /* even: closed */
}

/* r's windows count, read with a full barrier (an atomic add of 0). */
static __always_inline __u64 wf_rate_seq(struct wf_rate *r)
{
	return __sync_fetch_and_add(&r->windows, 0);
}

/* Copies a record that wf_rate_add_shared updates to *to, not half-way through
 * a window's close: its windows count even and the same before and after the
 * copy. Tries three times; 0 if every copy met a close (the last is in *to).
 * For iterators, not per packet: the atomic reads write the counters' line. */
static __always_inline int wf_rate_read(struct wf_rate *r, struct wf_rate *to)
{
	for (int i = 0; i < 3; i++) {
		__u64 seq = wf_rate_seq(r);

		*to = *r;
		if (!(seq & 1) && wf_rate_seq(r) == seq)
			return 1;
	}
	return 0;
}

static __always_inline void wf_flowstat_add(struct wf_flowstat *f, __u32 dir, __u64 now, __u32 len, int passed)
{
	wf_rate_add_shared(dir == WF_DIR_EGRESS ? &f->out : &f->in, now, len, passed);
}

/*
 * The slot of process tgid in wf_procs, made on its first packet: -1 if every
 * slot is taken (then its packets are not counted; they still pass). A slot is
 * claimed by compare-and-swap of its used word, so two CPUs never share one;
 * a free one is looked for from a place that tgid hashes to (probing, since
 * slots are freed in any order). A global function: the verifier checks it once.
 */
#define WF_PROC_PROBES 32
__noinline int wf_proc_slot_new(__u32 tgid)
{
	struct wf_proc_key key = { .tgid = tgid };
	__u32 *have = bpf_map_lookup_elem(&WF_MAP_PSLOTS, &key), start, idx;
	struct wf_proc *p;

	if (have)
		return *have < WF_PROCS_MAX ? (int)*have : -1;
	start = tgid * 2654435761U; /* Knuth's multiplicative hash */
	for (__u32 i = 0; i < WF_PROC_PROBES; i++) {
		idx = tgid ? ((start + i) & (WF_PROCS_MAX - 1)) : 0;
		if (tgid && !idx)
			continue; /* slot 0 is for tgid 0 alone */
		p = bpf_map_lookup_elem(&WF_MAP_PROCS, &idx);
		if (!p || p->used || __sync_val_compare_and_swap(&p->used, 0, 1) != 0) {
			if (!tgid)
				break;
			continue;
		}
		__builtin_memset(&p->f, 0, sizeof(p->f)); /* what a process before it left */
		*(volatile __u32 *)&p->tgid = tgid;
		if (bpf_map_update_elem(&WF_MAP_PSLOTS, &key, &idx, BPF_NOEXIST)) {
			/* another CPU gave tgid a slot meanwhile, or the index is full */
			*(volatile __u32 *)&p->tgid = 0;
			*(volatile __u32 *)&p->used = 0;
			have = bpf_map_lookup_elem(&WF_MAP_PSLOTS, &key);
			return have && *have < WF_PROCS_MAX ? (int)*have : -1;
		}
		return idx;
	}
	return -1;
}

/* Slot idx of wf_procs if process tgid holds it, else NULL (idx past the array: NULL). */
static __always_inline struct wf_proc *wf_proc_held(__u32 idx, __u32 tgid)
{
	struct wf_proc *p = bpf_map_lookup_elem(&WF_MAP_PROCS, &idx);

	return p && p->used && p->tgid == tgid ? p : NULL;
}

/* Whether a socket's slot (wf_sockstat.proc_slot, 1 + index) went with its process (wf_proc_forget):
 * it had one, and process tgid holds it no more. What such a socket sends or gets after the exit
 * (data still queued when the process ended) counts for no known owner; a slot or per-process bucket
 * made for the process again would never be freed. */
static __always_inline int wf_proc_slot_gone(__u32 proc_slot, __u32 tgid)
{
	return proc_slot && !wf_proc_held(proc_slot - 1, tgid);
}

/* The rates of process tgid (0: no known owner); *slot (if any) remembers its slot, as 1 + index. */
static __always_inline struct wf_flowstat *wf_proc_stats(__u32 *slot, __u32 tgid)
{
	/* *slot 0: idx wraps past the array, so not found */
	struct wf_proc *p = wf_proc_held(slot ? *slot - 1 : 0, tgid);
	__u32 idx;
	int found;

	if (p)
		return &p->f;
	if (slot && *slot) { /* wf_proc_slot_gone: count it for no known owner */
		p = wf_proc_held(0, 0);
		if (p)
			return &p->f;
		tgid = 0;
		slot = NULL;
	}
	found = wf_proc_slot_new(tgid); /* its first packet */
	if (found < 0)
		return NULL;
	idx = found;
	if (slot)
		*slot = idx + 1;
	p = bpf_map_lookup_elem(&WF_MAP_PROCS, &idx);
	return p && p->tgid == tgid ? &p->f : NULL;
}

/* Frees an exited process's slot (tracing: sched_process_exit). A packet of a
 * socket it left behind that comes later finds the slot not its own and counts
 * for no known owner (wf_proc_stats); a new process that takes the slot starts
 * from zero. */
static __always_inline void wf_proc_forget(__u32 tgid)
{
	struct wf_proc_key key = { .tgid = tgid };
	__u32 *idx = bpf_map_lookup_elem(&WF_MAP_PSLOTS, &key), i;
	struct wf_proc *p;

	if (!idx)
		return;
	i = *idx;
	p = bpf_map_lookup_elem(&WF_MAP_PROCS, &i);
	bpf_map_delete_elem(&WF_MAP_PSLOTS, &key);
	if (p && p->tgid == tgid) {
		*(volatile __u32 *)&p->tgid = 0;
		*(volatile __u32 *)&p->used = 0;
	}
}

/* The rates of a packet's socket, made on its first packet; NULL for no
 * socket or one that is not full (request and timewait sockets). */
static __always_inline struct wf_sockstat *wf_sockstat_of(struct bpf_sock *sk)
{
	return sk ? bpf_sk_storage_get(&WF_MAP_FLOW, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) : NULL;
}

/* The rules ss's socket matched, or NULL for no ss. barrier_var: else clang
 * adds the offset before the NULL check, which the verifier refuses. */
static __always_inline struct wf_match *wf_sockstat_match(struct wf_sockstat *ss)
{
	if (!ss)
		return NULL;
	barrier_var(ss);
	return &ss->match;
}

/* Whether ss must copy its owner's tgid again (it never did, or an owner changed since). */
static __always_inline int wf_sockstat_stale(const struct wf_sockstat *ss, __u64 gen)
{
	return ss && ss->owner_gen != gen;
}

/* Copies the owner's tgid into ss (o NULL: no known owner). Two CPUs may do it at once: they write the same. */
static __always_inline void wf_sockstat_own(struct wf_sockstat *ss, const struct wf_owner *o, __u64 gen)
{
	ss->tgid = o ? o->tgid : 0;
	ss->proc_slot = 0;
	barrier();
	*(volatile __u64 *)&ss->owner_gen = gen;
}

/* Counts one packet for its socket (ss NULL: none, or not a full one) and its process. */
static __always_inline void wf_account(struct wf_sockstat *ss, __u32 dir, __u32 len, int passed)
{
	struct wf_flowstat *f;
	__u64 now = bpf_ktime_get_coarse_ns(); /* see struct wf_rate */

	if (ss)
		wf_flowstat_add(&ss->f, dir, now, len, passed);
	f = ss ? wf_proc_stats(&ss->proc_slot, ss->tgid) : wf_proc_stats(NULL, 0);
	if (f) /* NULL: every slot taken; counting stops, traffic does not */
		wf_flowstat_add(f, dir, now, len, passed);
}

#endif
