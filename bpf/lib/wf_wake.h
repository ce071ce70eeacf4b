/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Wakes the shaper watcher (Wirefisher.PowerShell/Engine/ShaperWatch.cs) when
 * a shaped rule's traffic shows up where the shaper is not: a listener or a
 * connection of a shaped process in a network namespace that has no shaper
 * yet (a container started after its limit), or a packet of a shaped rule
 * dropped on a device without the shaper's link (a device made later). The
 * watcher otherwise looks once a second; until it has put the shaper there,
 * the bucket polices such a download, and TCP needed seconds to get over the
 * drops. A record is the wf_dev_key of the place (ifindex 0: the namespace);
 * the watcher only needs the wake-up and looks at everything itself.
 */
#ifndef WF_WAKE_H
#define WF_WAKE_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* 256 records: a watcher that is not there loses only wake-ups */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_WAKE SEC(".maps");

/* When each place last woke the watcher: at most every WF_WAKE_EVERY_NS, so a
 * place the watcher does not shape (loopback only, say) costs it little. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct wf_dev_key);
	__type(value, __u64);
} wf_woken SEC(".maps");

#define WF_WAKE_EVERY_NS (250ULL * 1000 * 1000)

/* Wakes the watcher unless the place is shaped (wf_devs has it: a device, or
 * with ifindex 0 a namespace with Wirefisher's ifb) or woke it just now. A
 * global function: checked once by the verifier. The race of two CPUs on
 * *last costs at most one wake-up more. */
__noinline int wf_wake_unshaped(__u64 netns, __u32 ifindex)
{
	struct wf_dev_key k = { .netns = netns, .ifindex = ifindex };
	__u64 now, *last;

	if (bpf_map_lookup_elem(&WF_MAP_DEVS, &k))
		return 0;
	now = bpf_ktime_get_ns();
	last = bpf_map_lookup_elem(&wf_woken, &k);
	if (last && now - *(volatile __u64 *)last < WF_WAKE_EVERY_NS)
		return 0;
	if (last)
		*(volatile __u64 *)last = now;
	else
		bpf_map_update_elem(&wf_woken, &k, &now, BPF_ANY);
	bpf_ringbuf_output(&WF_MAP_WAKE, &k, sizeof(k), 0);
	return 1;
}

/* The network namespace of a socket (its inode number, as wf_devs keys it). */
static __always_inline __u64 wf_netns_of_sk(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

#endif
