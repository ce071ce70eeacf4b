// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The anchor row of bench/Measure-Monitoring.ps1: two cgroup_skb programs that
 * do nothing but pass, attached where Wirefisher's are (the cgroup v2 root).
 * What they cost is what any cgroup_skb program costs on this kernel before it
 * does any work, the floor under Wirefisher's own monitoring.
 */
#include "vmlinux.h" /* made by build.ps1 in bpf/ */
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup_skb/ingress")
int wf_empty_in(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/egress")
int wf_empty_out(struct __sk_buff *skb)
{
	return 1;
}
