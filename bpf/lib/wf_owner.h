/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Who owns a socket: written where the process is known, read per packet. */
#ifndef WF_OWNER_H
#define WF_OWNER_H

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	/* CLONE: a socket returned by accept() inherits the listener's owner. */
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct wf_owner);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_OWNER SEC(".maps");

/*
 * Owners for sockets that were open before Wirefisher (or are claimed by a
 * new PID rule), keyed by the inode of the socket's file (socket:[INODE] in
 * /proc/PID/fd). The task_file iterator knows the process but, on kernels that
 * take socket->sk reached from a file as untrusted (6.18.44-fc-v1045), cannot
 * give the socket its storage; so it notes the owner here, and the tcp and udp
 * iterators, whose sockets are trusted, hand it over (wf_seed_apply).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct wf_owner);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} WF_MAP_SEEDS SEC(".maps");

/* FNV-1a over the name, ASCII letters folded to lower case (as PowerShell
 * compares names). User space has the same function (Abi/NameHash.cs). */
static __always_inline __u64 wf_name_hash(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < WF_COMM_LEN; i++) {
		__u8 c = s[i];

		if (!c)
			break;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 0x100000001b3ULL;
	}
	return h;
}

/* A process's name and executable, as rules match them. */
static __always_inline void wf_ancestor_of(struct wf_ancestor *a, struct task_struct *leader)
{
	struct file *exe = BPF_CORE_READ(leader, mm, exe_file);

	a->tgid = BPF_CORE_READ(leader, tgid);
	bpf_probe_read_kernel_str(a->comm, sizeof(a->comm), BPF_CORE_READ(leader, comm));
	a->name_hash = wf_name_hash(a->comm);
	a->exe_ino = exe ? BPF_CORE_READ(exe, f_inode, i_ino) : 0;
	a->exe_dev = exe ? BPF_CORE_READ(exe, f_inode, i_sb, s_dev) : 0;
}

/* Fill an owner record from a task (its thread-group leader): everything a
 * rule can match a process by (lib/wf_match.h), and the same of the
 * processes above it up to WF_ANCESTORS levels (init and kernel threads end it). */
static __always_inline void wf_owner_from_task(struct wf_owner *o, struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader), *p;
	struct wf_ancestor self = {};

	o->tgid = BPF_CORE_READ(task, tgid);
	o->start_ns = BPF_CORE_READ(leader, start_boottime);
	o->uid = BPF_CORE_READ(leader, real_cred, uid.val);
	wf_ancestor_of(&self, leader);
	__builtin_memcpy(o->comm, self.comm, sizeof(o->comm));
	o->name_hash = self.name_hash;
	o->exe_ino = self.exe_ino;
	o->exe_dev = self.exe_dev;
	p = leader;
	for (int i = 0; i < WF_ANCESTORS; i++) {
		p = BPF_CORE_READ(p, real_parent, group_leader);
		if (!p || BPF_CORE_READ(p, tgid) <= 1) {
			__builtin_memset(&o->up[i], 0, sizeof(o->up[i]));
			for (int j = i + 1; j < WF_ANCESTORS; j++)
				__builtin_memset(&o->up[j], 0, sizeof(o->up[j]));
			break;
		}
		wf_ancestor_of(&o->up[i], p);
	}
}

#endif
