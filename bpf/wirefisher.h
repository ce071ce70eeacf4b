/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every structure shared by the kernel programs and user space, defined once.
 *
 * The C# mirror is Wirefisher.Native/Abi/ (one file per struct); tests/xunit/AbiLayoutTests.cs
 * reads the BTF of the built wirefisher.bpf.o and fails when a size or an
 * offset there differs from the mirror. Change both together.
 *
 * Rules: fixed-width types only, explicit padding, no bool, no bitfields.
 */
#ifndef WIREFISHER_H
#define WIREFISHER_H

/* Map and program names (kernel object names are cut at 15 characters).
 * Mirrored in Wirefisher.Native/Loader/BpfNames.cs. */
#define WF_MAP_OWNER   wf_owner   /* sk_storage: socket -> owning process   */
#define WF_MAP_RULES   wf_rules   /* hash: rule id -> rule (user-written)    */
#define WF_MAP_STATE   wf_state   /* hash: (rule id, 0) -> bucket and counters */
#define WF_MAP_PSTATE  wf_pstate  /* lru hash: (rule id, tgid) -> bucket of one process (WF_RULE_PER_PROCESS) */
#define WF_MAP_INDEX   wf_index   /* hash: (kind, dir, what) -> the rules that match it (user-written) */
#define WF_MAP_TUPLES  wf_tuples  /* array: address/protocol/port matchers (user-written) */
#define WF_MAP_NAMES   wf_names   /* array: process-name patterns with wildcards (user-written) */
#define WF_MAP_CONFIG  wf_config  /* array of one: generation and counts (user-written) */
#define WF_MAP_PEERS   wf_peers   /* hash: limited receiver's TCP tuple -> pacing for its sender
                                   * (bytes/s, | WF_PEER_PACED once the sender is paced) */
#define WF_PEER_PACED  0x80000000U
#define WF_MAP_FLOW    wf_flow    /* sk_storage: socket -> its rates, both directions, and its process */
#define WF_MAP_PROCS   wf_procs   /* array: slot -> one process's rates (struct wf_proc) */
#define WF_MAP_PSLOTS  wf_pslots  /* hash: tgid -> its slot in wf_procs */
#define WF_MAP_DEVS    wf_devs    /* hash: (netns, ifindex) of a shaped device -> its ifb;
                                    (netns, 0): the namespace has the shaper (its ifb) */
#define WF_MAP_WAKE    wf_wake    /* ring buffer: wakes the shaper watcher (lib/wf_wake.h) */
#define WF_MAP_ABI     wf_abi     /* array of one: WF_ABI, which user space writes when it loads the object */
#define WF_MAP_SEEDS   wf_seeds   /* hash: inode of an open socket -> the owner to give it (iterators) */

/* Ingress shaping (lib/wf_shape.h). A TCP packet from a sender this host cannot
 * pace is redirected from its device into the namespace's ifb device, where an
 * htb class per rule queues it to the rule's rate. Handles in that htb:
 * root 1:, rule class 1:c (c = wf_rule.shape_class, 1..WF_SHAPE_MAX), and under
 * it one leaf per header size, 1:(c | k << WF_SHAPE_KIND_SHIFT), k = 1 + WF_OVH_*,
 * so that each leaf can add back what its headers are smaller than the largest,
 * which the ifb's root takes off every packet: htb then counts payload, as the
 * rule's rate does (Shaper.cs, HeaderBase and LeafOverhead). skb->priority
 * names the leaf, which is how htb classifies. */
#define WF_SHAPE_MAX         0x0fff
#define WF_SHAPE_KIND_SHIFT  12
#define WF_SHAPE_MAJOR       0x10000   /* htb major 1, in skb->priority's upper half */
/* The kind in skb->priority of a packet of a shaped connection that is let through
 * unqueued, as its sender sent it before it could know of the limit (lib/wf_shape.h). */
#define WF_SHAPE_ONSET       0xf
#define WF_OVH_IP4     0 /* IPv4 + TCP, no options */
#define WF_OVH_IP4_TS  1 /* IPv4 + TCP with timestamps (Linux senders) */
#define WF_OVH_IP6     2
#define WF_OVH_IP6_TS  3

/* What the structs below mean: a module reads pinned state only if it was loaded
 * with its WF_ABI (wf_abi). The entries' sizes tell most versions apart; this
 * tells apart those whose structs kept their sizes but not the meaning of a
 * field (2: wf_rate.win_base became pending; 3: wf_rate.windows counts twice,
 * odd while a window closes). */
#define WF_ABI 3

/* Rate windows close at the first packet at least this long after the last close. */
#define WF_WINDOW_NS 1000000000ULL

/* struct wf_rate.pending holds the open window's bytes << WF_PENDING_SHIFT | its
 * packets, so that a packet is counted with one atomic add (issue 9). A window
 * holds about WF_WINDOW_NS of traffic (it closes at the first packet after it):
 * up to 2^36 bytes (64 GiB, 550 Gbit/s for a second) and 2^28 packets
 * (268 million) fit. */
#define WF_PENDING_SHIFT 28
#define WF_PENDING_PACKETS ((1ULL << WF_PENDING_SHIFT) - 1)

/* Rule kinds (wf_rule.kind), and what a socket is matched by (lib/wf_match.h):
 * wf_index key id, or the array the kernel walks. */
#define WF_KIND_PROCESS 1 /* id: tgid (and the owner's start time lies in the rule's window) */
#define WF_KIND_CGROUP  2 /* id: cgroup id (user space lists the cgroup and every descendant) */
#define WF_KIND_IFACE   3 /* id: netns inode << 32 | ifindex of the device a packet crosses */
#define WF_KIND_TUPLE   4 /* wf_tuples: protocol, address prefixes and port ranges */
#define WF_KIND_NAME    5 /* id: wf_name_hash of the process name; patterns with wildcards: wf_names */
#define WF_KIND_PATH    6 /* id: inode of the process's executable (and its device, in the rule) */
#define WF_KIND_USER    7 /* id: the process's real uid */

/* Rules of one direction that one flow can match at once (the rest are not applied). */
#define WF_MATCH_MAX   8
#define WF_INDEX_IDS   4    /* rules behind one wf_index entry (nested cgroups) */
#define WF_TUPLES_MAX  2048 /* address/port matchers */
#define WF_NAMES_MAX   64   /* process-name patterns with wildcards */
#define WF_PER_PROCESS_MAX 16 /* rules with a bucket per process */
#define WF_ANCESTORS   3    /* levels of parents whose name and executable rules a process inherits */
#define WF_RULES_MAX   16384 /* rules of all kinds (wf_rules, wf_state) */
#define WF_PROCS_MAX   65536 /* processes whose rates are kept (wf_procs; slot 0: no known owner) */

/* How a packet that a rule let pass arrived (counted in wf_state). */
#define WF_VIA_BUCKET 0 /* only the bucket held it (UDP, or a TCP sender nobody paced or shaped) */
#define WF_VIA_PACED  1 /* its sender on this host is paced */
#define WF_VIA_SHAPED 2 /* it came through the rule's htb class */
#define WF_VIA_ONSET  3 /* in flight when its limit came (WF_SHAPE_ONSET): passes, costs the bucket nothing */

/* Directions (wf_rule_key.dir). */
#define WF_DIR_INGRESS 0
#define WF_DIR_EGRESS  1

/* wf_rule.flags */
#define WF_RULE_WATCH_ONLY 0x1 /* count, never drop */
#define WF_RULE_PENDING    0x2 /* new: TCP pacing applies, the bucket not yet (user space
                                * clears it once the pacing is in place, so a new limit
                                * does not meet unpaced traffic with drops) */
#define WF_RULE_PER_PROCESS 0x4 /* one bucket for each process it matches (wf_pstate) */
#define WF_RULE_CC         0x8 /* a congestion-control rule (also WATCH_ONLY): new and open TCP
                                * connections it matches get wf_rule.cc (lib/wf_cc.h) */

/* wf_owner.flags */
#define WF_OWNER_PACED   0x1 /* Wirefisher set SO_MAX_PACING_RATE on this socket */
#define WF_OWNER_CLAMPED 0x2 /* counted in its ingress rule's wf_state.tcp_conns (lib/wf_shape.h) */
#define WF_OWNER_WINDOW  0x4 /* Wirefisher clamped this socket's receive window */
#define WF_OWNER_CLAIM   0x8 /* only in wf_seeds: replace the socket's owner, not just fill in a missing one */

/* Fixed-point shift of wf_rule.ns_per_byte. */
#define WF_FP_SHIFT 16

#define WF_COMM_LEN 16
#define WF_NAME_LEN 64
#define WF_TEXT_LEN 128
#define WF_CC_LEN 16 /* TCP_CA_NAME_MAX */

/* A process above the owner, as name and executable rules see it (tgid 0 = none). */
struct wf_ancestor {
	__u32 tgid;
	__u32 pad;
	__u64 name_hash;
	__u64 exe_ino;
	__u64 exe_dev;
	char comm[WF_COMM_LEN];
};

/* Who owns a socket. Written where the owner is known: cgroup/sock_create
 * (the creating process), the task_file iterator (sockets that existed
 * before Wirefisher), and inherited by accepted sockets (BPF_F_CLONE). */
struct wf_owner {
	__u32 tgid;
	__u32 flags;       /* WF_OWNER_* */
	__u64 start_ns;    /* group leader's start_boottime: tells PID reuse apart */
	__u64 cgroup_id;   /* cgroup v2 id of the socket (the creating process's cgroup) */
	char comm[WF_COMM_LEN];
	__u32 uid;         /* real uid of the process */
	__u32 clamp_rule;  /* WF_OWNER_CLAMPED: the rule whose tcp_conns counts it */
	__u64 exe_ino;     /* the process's executable: inode */
	__u64 exe_dev;     /*   and device (kernel dev_t) */
	__u64 name_hash;   /* wf_name_hash(comm) */
	struct wf_ancestor up[WF_ANCESTORS]; /* parent, grandparent, ...: a child of a
	                                      * process a name or executable rule matches is matched too */
};

/* What wf_index is keyed by: one exact thing a socket or packet has. */
struct wf_index_key {
	__u32 kind;        /* WF_KIND_* */
	__u32 dir;         /* WF_DIR_* */
	__u64 id;          /* see WF_KIND_* */
};

struct wf_index_val {
	__u32 ids[WF_INDEX_IDS]; /* rule ids, 0 = none */
};

/* Where a rule's bucket is: tgid 0 for the rule's one shared bucket (wf_state);
 * WF_RULE_PER_PROCESS: the tgid of the process (wf_pstate). */
struct wf_state_key {
	__u32 rule;
	__u32 tgid;
};

/* One address/protocol/port matcher of a TUPLE rule (a rule with several
 * addresses has one per combination). 0 = any for proto and family; a port
 * range [lo, hi], 0-65535 = any. Addresses in network byte order, IPv4 in addr[0]. */
struct wf_tuple_rule {
	__u32 rule;        /* 0 = unused slot */
	__u32 dir;
	__u8 proto;
	__u8 family;       /* 0, 2 or 10 */
	__u8 lplen;        /* prefix lengths; 0 = any address */
	__u8 rplen;
	__u16 lport_lo, lport_hi;
	__u16 rport_lo, rport_hi;
	__u32 laddr[4];
	__u32 raddr[4];
};

/* A process-name pattern with * or ? (case-insensitive, on the 15-byte kernel name). */
struct wf_name_rule {
	__u32 rule;
	__u32 dir;
	char pattern[WF_COMM_LEN];
};

/* User space's one entry that tells the kernel what there is to match. A
 * socket's matches are remembered with gen (wf_match); user space bumps gen
 * after every change of rules, index or arrays, so each flow looks again. */
struct wf_config {
	__u32 gen;
	__u32 kinds;       /* 1 << WF_KIND_* of every kind that has a rule */
	__u32 n_tuples;    /* wf_tuples[0, n) are in use */
	__u32 n_names;
	__u32 per_process[WF_PER_PROCESS_MAX]; /* ids of WF_RULE_PER_PROCESS rules, 0 = none */
};

/* A rule as user space writes it (key: its id, 1..). The kernel only reads it,
 * so changing a rate is one map update: there is never a moment without a limit. */
struct wf_rule {
	__u32 kind;        /* WF_KIND_* */
	__u32 dir;         /* WF_DIR_* */
	__u64 target;      /* the kind's wf_index id; 0 for TUPLE and name patterns */
	__u64 target_dev;  /* PATH: the executable's device (kernel dev_t) */
	__u64 rate;        /* bytes per second, >= 1024 */
	__u64 burst_ns;    /* bucket depth in time: capacity = rate * burst_ns / 1e9 bytes */
	__u64 ns_per_byte; /* (1e9 << WF_FP_SHIFT) / rate */
	__u64 start_min_ns; /* PROCESS: the owner's start_ns must lie in */
	__u64 start_max_ns; /*   [start_min_ns, start_max_ns); 0,0 = any   */
	__u64 time_scale_ns; /* as the user gave it (for display) */
	__u64 created_ns;  /* CLOCK_REALTIME at creation (for display) */
	__u32 flags;       /* WF_RULE_* */
	__u32 pace_rate;   /* TCP: SO_MAX_PACING_RATE per connection (B/s), 0 = none. EGRESS:
	                    * the process's own sockets; INGRESS: the sending end of each
	                    * connection, where that end is a socket on this host */
	char comm[WF_COMM_LEN];  /* PROCESS: its name when the rule was made; NAME: the name or pattern */
	char name[WF_NAME_LEN];  /* the rule's name, NUL-terminated */
	char text[WF_TEXT_LEN];  /* the target as the user gave it (path, cgroup, user, device, addresses) */
	char cc[WF_CC_LEN];      /* WF_RULE_CC: the congestion-control algorithm, NUL-terminated */
	__u32 shape_class; /* INGRESS: its htb class (1..WF_SHAPE_MAX) on every shaped device, 0 = none */
	__u32 pad;
};

/* A device whose ingress Wirefisher shapes (a tcx link of wf_shape_in). */
struct wf_dev_key {
	__u64 netns;       /* the device's network namespace (inode number) */
	__u32 ifindex;
	__u32 pad;
};

struct wf_dev {
	__u32 ifb_ifindex; /* Wirefisher's ifb device in the same namespace */
	__u32 l2_len;      /* bytes before the IP header (14 on Ethernet, 0 on tun/wireguard) */
	__u32 mtu;         /* the device's MTU when it was linked: user space counts a queue's drops as full-size segments */
};

/* A connection as seen from one end. IPv4 (and IPv4-mapped IPv6)
 * addresses sit in addr[0] with family 2; IPv6 uses all four words, family 10.
 * Ports are in host byte order. */
struct wf_tuple {
	__u32 family;
	__u16 lport;
	__u16 rport;
	__u32 laddr[4];
	__u32 raddr[4];
};

/* The original's four rates, kept per flow and updated per packet (under the
 * lock of a rule's state; sockets' and processes' without one, see
 * lib/wf_account.h). Bytes are payload bytes that passed.
 * A window closes at the first packet at least WF_WINDOW_NS after the last
 * close: instant = the window's bytes / its length; peak = the largest
 * instant; smoothed = smoothed - smoothed/8 + instant/8 per closed window
 * (the first window takes instant as it is). The average (bytes / time
 * since first_ns) and the decay of a quiet flow are worked out when read.
 * Times are CLOCK_MONOTONIC in ns; sockets and processes read it coarse
 * (bpf_ktime_get_coarse_ns: one tick late at most, 4 ms at HZ=250, so a
 * 1 s window is within 0.4 %), since the precise clock cost 35-45 ns a
 * packet here, a third of the monitoring (issue 9). */
struct wf_rate {
	__u64 first_ns;
	__u64 win_start_ns;
	__u64 pending;     /* the open window's bytes and packets (WF_PENDING_SHIFT), not yet in bytes and packets */
	__u64 windows;     /* 2 x the windows closed so far; odd while one closes (a reader's sequence count, see WF_ABI) */
	__u64 bytes;       /* of the closed windows: all bytes are bytes + (pending >> WF_PENDING_SHIFT) */
	__u64 packets;     /* of the closed windows: all are packets + (pending & WF_PENDING_PACKETS) */
	__u64 dropped_bytes;
	__u64 dropped_packets;
	__u64 instant;     /* bytes per second */
	__u64 peak;
	__u64 smoothed;
};

/* Rates of one socket (sk_storage) or of one process (wf_procs), updated
 * without a lock by wf_rate_add_shared (lib/wf_account.h). */
struct wf_flowstat {
	struct wf_rate in;
	struct wf_rate out;
};

struct wf_proc_key {
	__u32 tgid;        /* 0 = traffic whose socket has no known owner */
	__u32 pad;
};

/* A process's rates in its wf_procs slot. Each socket's rates remember the
 * slot (struct wf_sockstat, lib/wf_account.h), so a packet finds them by index,
 * not by a hash lookup (issue 9); used and tgid tell whether the slot is still
 * that process's. */
struct wf_proc {
	__u32 tgid;
	__u32 used;        /* 1 while the slot belongs to tgid */
	struct wf_flowstat f;
};

/* One connection as the connection iterator reports it (bpf_seq_write). */
struct wf_conn {
	struct wf_tuple tuple;
	__u32 tgid;
	__u32 protocol;    /* IPPROTO_TCP or IPPROTO_UDP */
	char comm[WF_COMM_LEN];
	struct wf_rate in;
	struct wf_rate out;
	__u32 rules_in[WF_MATCH_MAX];  /* the rules its traffic matched (this rule generation), 0 = none */
	__u32 rules_out[WF_MATCH_MAX];
	__u64 dev;         /* the device its route leaves by: netns inode << 32 | ifindex, 0 = none (unconnected) */
};

/* Bucket and rates of one rule, written only by the kernel (user space
 * creates the entry and deletes it with the rule).
 *
 * The bucket is kept in its virtual-scheduling form (GCRA): tat_ns is the
 * theoretical arrival time, when the bucket's debt is paid off. A packet of
 * len bytes passes if tat_ns - now <= burst_ns, and then moves tat_ns on by
 * len * ns_per_byte. This is exactly a token bucket with capacity
 * rate * burst_ns bytes (tokens = (burst_ns - (tat_ns - now)) * rate), but
 * needs no multiplication of a time by a rate, so nothing overflows after
 * days idle or at 100 Gbit/s. */
struct wf_state {
	struct bpf_spin_lock lock;
	__u32 tat_frac;    /* fraction of a ns, in 1/2^WF_FP_SHIFT */
	__u64 tat_ns;
	struct wf_rate rate;
	__u64 paced_bytes;  /* of rate.bytes: arrived WF_VIA_PACED */
	__u64 shaped_bytes; /* of rate.bytes: arrived WF_VIA_SHAPED or WF_VIA_ONSET */
	__s64 tcp_conns;    /* INGRESS: its TCP connections whose window is clamped (atomics, see wf_shape.h) */
};

_Static_assert(sizeof(struct wf_owner) == 216, "wf_owner layout changed: update Abi/WfOwner.cs");
_Static_assert(sizeof(struct wf_ancestor) == 48, "wf_ancestor layout changed: update Abi/WfAncestor.cs");
_Static_assert(sizeof(struct wf_index_key) == 16, "wf_index_key layout changed: update Abi/WfIndexKey.cs");
_Static_assert(sizeof(struct wf_index_val) == 16, "wf_index_val layout changed: update Abi/WfIndexVal.cs");
_Static_assert(sizeof(struct wf_state_key) == 8, "wf_state_key layout changed: update Abi/WfStateKey.cs");
_Static_assert(sizeof(struct wf_tuple_rule) == 52, "wf_tuple_rule layout changed: update Abi/WfTupleRule.cs");
_Static_assert(sizeof(struct wf_name_rule) == 24, "wf_name_rule layout changed: update Abi/WfNameRule.cs");
_Static_assert(sizeof(struct wf_config) == 80, "wf_config layout changed: update Abi/WfConfig.cs");
_Static_assert(sizeof(struct wf_rule) == 320, "wf_rule layout changed: update Abi/WfRule.cs");
_Static_assert(sizeof(struct wf_tuple) == 40, "wf_tuple layout changed: update Abi/WfTuple.cs");
_Static_assert(sizeof(struct wf_rate) == 88, "wf_rate layout changed: update Abi/WfRate.cs");
_Static_assert(sizeof(struct wf_flowstat) == 176, "wf_flowstat layout changed: update Abi/WfFlowStat.cs");
_Static_assert(sizeof(struct wf_proc_key) == 8, "wf_proc_key layout changed: update Abi/WfFlowStat.cs");
_Static_assert(sizeof(struct wf_proc) == 184, "wf_proc layout changed: update Abi/WfFlowStat.cs");
_Static_assert(sizeof(struct wf_conn) == 312, "wf_conn layout changed: update Abi/WfConn.cs");
_Static_assert(sizeof(struct wf_state) == 128, "wf_state layout changed: update Abi/WfState.cs");
_Static_assert(sizeof(struct wf_dev_key) == 16, "wf_dev_key layout changed: update Abi/WfDevKey.cs");
_Static_assert(sizeof(struct wf_dev) == 12, "wf_dev layout changed: update Abi/WfDev.cs");

#endif /* WIREFISHER_H */
