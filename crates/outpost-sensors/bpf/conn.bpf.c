// SPDX-License-Identifier: GPL-2.0
/*
 * Outpost connection sensor. Only BTF tracepoints (tp_btf) are used: they need neither kprobes,
 * ftrace trampolines (fentry/fexit/LSM) nor tracefs, none of which every kernel has.
 *
 *  - inet_sock_set_state CLOSE->SYN_SENT runs inside connect(), in the connecting process: the
 *    process is remembered per socket; SYN_SENT->ESTABLISHED (or ->CLOSE on failure) emits the
 *    outbound connection with its final 4-tuple. A connection that lives 1 ms is still seen.
 *  - SYN_RECV->ESTABLISHED (softirq) records an inbound connection per socket; it is emitted in
 *    the context of the first process that uses it: its first send or receive (sock_send_length,
 *    sock_recv_length) or its close (ESTABLISHED->FIN_WAIT1, CLOSE_WAIT->LAST_ACK, which only
 *    close()/shutdown() cause). One closed before any use by a process is emitted with pid 0
 *    and user space attributes it to the listening socket's owner.
 *  - net_dev_queue for UDP packets of local sockets runs in the sending process: the first
 *    datagram to a destination per process (then at most once a minute) is a UDP flow. A
 *    datagram to port 53 also records its sender under its local port (`dns_ports`), before
 *    the packet reaches the packet tap the DNS sensor reads: that is how a query is attributed.
 *
 *  - sched_process_exec snapshots the new image (file name, argv) in the exec'ing process, so
 *    that a process gone before /proc could be read still attributes its connections (the
 *    exec record precedes them in the ring buffer).
 *
 * Records that do not fit in the ring buffer are counted in `lost`, never silently dropped.
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_UDP 17
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7
#define TCP_FIN_WAIT1 4
#define TCP_LAST_ACK 9
#define TCP_LISTEN 10
#define KIND_CONNECT 1
#define KIND_ACCEPT 2
#define KIND_UDP 3
#define KIND_CONNECT_FAILED 4
#define KIND_EXEC 10
#define UDP_REPORT_EVERY_NS (60ULL * 1000000000ULL)
#define RINGBUF_BYTES (256 * 1024)
/* Wake the reader only when this much is waiting; it also polls every 50 ms. Saves one
 * wakeup (and context switch) per event under load. */
#define WAKEUP_BYTES (RINGBUF_BYTES / 8)

char LICENSE[] SEC("license") = "GPL";

/* Keep in sync with src/net/mod.rs (parse_conn_record). 80 bytes. */
struct conn_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u16 family;
	__u16 lport;
	__u16 rport;
	__u8 kind;
	__u8 proto;
	__u8 laddr[16];
	__u8 raddr[16];
	char comm[16];
};

/* Keep in sync with src/net/mod.rs (parse_exec_record). 848 bytes; kind at the same offset.
 * Carries everything the exec event needs (ids, cgroup, start time), so that user space does
 * not have to read /proc/PID/{stat,status,cmdline,cgroup} for it. */
struct exec_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u16 pad16[3];
	__u8 kind;
	__u8 pad8;
	__u32 ppid;
	__u32 args_len;
	char comm[16];
	char filename[256];
	char args[512];
	__u32 euid;
	__u32 egid;
	__u64 cgroup_id;
	/* task->start_boottime (ns): /proc/PID/stat's start time is this in clock ticks */
	__u64 start_boottime;
};

struct task_id {
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 gid;
	char comm[16];
};

struct udp_key {
	__u32 pid;
	__u16 family;
	__u16 rport;
	__u8 raddr[16];
};

/* Keep in sync with src/net/ebpf.rs (port_owners). */
struct dns_key {
	__u16 family;
	__u16 lport;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* connecting sockets (SYN_SENT) -> the process that called connect() */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct task_id);
} connecting SEC(".maps");

/* accepted sockets not yet used by a process -> their record (without process) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct conn_event);
} accepting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct udp_key);
	__type(value, __u64);
} udp_seen SEC(".maps");

/* local UDP port that sent to port 53 -> the sending process (read by user space) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dns_key);
	__type(value, struct task_id);
} dns_ports SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
									     : BPF_RB_NO_WAKEUP;
}

static __always_inline void current_task(struct task_id *t)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	t->pid = id >> 32;
	t->tid = (__u32)id;
	t->uid = (__u32)ug;
	t->gid = ug >> 32;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
}

/* Local and remote address and ports of a socket; returns 0 if the family is not IP. */
static __always_inline int fill_sock(struct conn_event *e, const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->family = family;
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__be32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->laddr, &l, 4);
		__builtin_memcpy(e->raddr, &r, 4);
		return 1;
	}
	if (family == AF_INET6) {
		struct in6_addr l6, r6;
		/* BPF_CORE_READ_INTO reads sizeof(*dst): read into whole in6_addr values. */
		BPF_CORE_READ_INTO(&l6, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r6, sk, __sk_common.skc_v6_daddr);
		__builtin_memcpy(e->laddr, &l6, 16);
		__builtin_memcpy(e->raddr, &r6, 16);
		return 1;
	}
	return 0;
}

static __always_inline void emit_sock(const struct sock *sk, __u8 kind, const struct task_id *t)
{
	struct conn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	if (t) {
		e->pid = t->pid;
		e->tid = t->tid;
		e->uid = t->uid;
		e->gid = t->gid;
		__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	}
	e->kind = kind;
	e->proto = 6;
	if (!fill_sock(e, sk)) {
		bpf_ringbuf_discard(e, 0);
		return;
	}
	bpf_ringbuf_submit(e, wakeup_flags());
}

/* Emits the pending inbound record of socket `key`, attributed to `t` (or pid 0). */
static __always_inline void emit_accepted(__u64 key, const struct task_id *t)
{
	struct conn_event *pending = bpf_map_lookup_elem(&accepting, &key);
	if (!pending)
		return;
	struct conn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		bpf_map_delete_elem(&accepting, &key);
		return;
	}
	__builtin_memcpy(e, pending, sizeof(*e));
	bpf_map_delete_elem(&accepting, &key);
	if (t) {
		e->pid = t->pid;
		e->tid = t->tid;
		e->uid = t->uid;
		e->gid = t->gid;
		__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	}
	bpf_ringbuf_submit(e, wakeup_flags());
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(outpost_tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 key = (__u64)sk;

	if (BPF_CORE_READ(sk, sk_protocol) != 6)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		struct task_id t = {};
		current_task(&t);
		bpf_map_update_elem(&connecting, &key, &t, 0);
		return 0;
	}
	if (oldstate == TCP_SYN_SENT) {
		struct task_id *t = bpf_map_lookup_elem(&connecting, &key);
		if (!t)
			return 0;
		struct task_id copy = *t;
		bpf_map_delete_elem(&connecting, &key);
		emit_sock(sk, newstate == TCP_ESTABLISHED ? KIND_CONNECT : KIND_CONNECT_FAILED, &copy);
		return 0;
	}
	if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		struct conn_event e;
		__builtin_memset(&e, 0, sizeof(e));
		e.ts_ns = bpf_ktime_get_ns();
		e.kind = KIND_ACCEPT;
		e.proto = 6;
		if (fill_sock(&e, sk))
			bpf_map_update_elem(&accepting, &key, &e, 0);
		return 0;
	}
	if (newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK) {
		struct task_id t = {};
		current_task(&t);
		emit_accepted(key, &t);
		return 0;
	}
	if (newstate == TCP_CLOSE)
		emit_accepted(key, 0);
	return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(outpost_udp_xmit, struct sk_buff *skb)
{
	struct conn_event tmp;
	struct udp_key key;
	__u64 now, *last;
	struct sock *sk = BPF_CORE_READ(skb, sk);
	unsigned char *head;
	__u16 nh, th, proto;
	__u8 ports[4];

	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return 0;
	__builtin_memset(&tmp, 0, sizeof(tmp));
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	th = BPF_CORE_READ(skb, transport_header);
	proto = __builtin_bswap16(BPF_CORE_READ(skb, protocol));
	if (proto == ETH_P_IP) {
		__u8 ip[20];
		if (bpf_probe_read_kernel(ip, sizeof(ip), head + nh))
			return 0;
		if (ip[9] != IPPROTO_UDP)
			return 0;
		tmp.family = AF_INET;
		__builtin_memcpy(tmp.laddr, &ip[12], 4);
		__builtin_memcpy(tmp.raddr, &ip[16], 4);
	} else if (proto == ETH_P_IPV6) {
		__u8 ip6[40];
		if (bpf_probe_read_kernel(ip6, sizeof(ip6), head + nh))
			return 0;
		if (ip6[6] != IPPROTO_UDP)
			return 0;
		tmp.family = AF_INET6;
		__builtin_memcpy(tmp.laddr, &ip6[8], 16);
		__builtin_memcpy(tmp.raddr, &ip6[24], 16);
	} else {
		return 0;
	}
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + th))
		return 0;
	tmp.lport = ((__u16)ports[0] << 8) | ports[1];
	tmp.rport = ((__u16)ports[2] << 8) | ports[3];

	struct task_id t = {};
	current_task(&t);
	if (tmp.rport == 53) {
		struct dns_key dk = { .family = tmp.family, .lport = tmp.lport };
		bpf_map_update_elem(&dns_ports, &dk, &t, 0);
	}
	now = bpf_ktime_get_ns();
	__builtin_memset(&key, 0, sizeof(key));
	key.pid = t.pid;
	key.family = tmp.family;
	key.rport = tmp.rport;
	__builtin_memcpy(key.raddr, tmp.raddr, 16);
	last = bpf_map_lookup_elem(&udp_seen, &key);
	if (last && now - *last < UDP_REPORT_EVERY_NS)
		return 0;
	bpf_map_update_elem(&udp_seen, &key, &now, 0);

	struct conn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memcpy(e, &tmp, sizeof(tmp));
	e->ts_ns = now;
	e->pid = t.pid;
	e->tid = t.tid;
	e->uid = t.uid;
	e->gid = t.gid;
	__builtin_memcpy(e->comm, t.comm, sizeof(e->comm));
	e->kind = KIND_UDP;
	e->proto = IPPROTO_UDP;
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(outpost_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	unsigned long start, end, len;
	struct task_id t = {};

	if (!e) {
		count_lost();
		return 0;
	}
	current_task(&t);
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = t.pid;
	e->tid = t.tid;
	e->uid = t.uid;
	e->gid = t.gid;
	e->pad16[0] = e->pad16[1] = e->pad16[2] = 0;
	e->kind = KIND_EXEC;
	e->pad8 = 0;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	__builtin_memcpy(e->comm, t.comm, sizeof(e->comm));
	/* interp: the file actually executed (a script's interpreter), like /proc/PID/exe */
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, interp)) < 0 &&
	    bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename)) < 0)
		e->filename[0] = 0;
	e->euid = BPF_CORE_READ(p, cred, euid.val);
	e->egid = BPF_CORE_READ(p, cred, egid.val);
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->start_boottime = BPF_CORE_READ(p, start_boottime);
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > sizeof(e->args))
		len = sizeof(e->args);
	len &= 0x3ff;
	if (len > 512)
		len = 512;
	if (len && bpf_probe_read_user(e->args, len, (void *)start) == 0)
		e->args_len = len;
	else
		e->args_len = 0;
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

static __always_inline void first_use(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	if (!bpf_map_lookup_elem(&accepting, &key))
		return;
	struct task_id t = {};
	current_task(&t);
	emit_accepted(key, &t);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(outpost_send, struct sock *sk, int ret, int flags)
{
	first_use(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(outpost_recv, struct sock *sk, int ret, int flags)
{
	first_use(sk);
	return 0;
}
