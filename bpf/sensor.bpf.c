/* sensor.bpf.c - TraceLink's socket and TLS sensor.
 *
 * Syscall tracepoints (read/write family, accept4, connect, close) and libssl uprobes turn
 * every TCP send/receive of a traced process into one ring-buffer record: a fixed header
 * (struct event, mirrored by src/Sensor/Native/EventHeader.cs) followed by up to
 * capture_bytes of payload. The record is built at sys_exit, when the byte count is known,
 * from the syscall's arguments in the task's saved user registers; a receive has no enter
 * program at all (most receives of an event loop end in EAGAIN and cost one early return),
 * a send's enter program only stashes its start time.
 * No vmlinux.h, no libbpf headers: see mini_bpf.h; every kernel struct below is relocated
 * against /sys/kernel/btf/vmlinux at load time (CO-RE). */
#include "mini_bpf.h"

#define MAX_PAYLOAD 4096 /* compile-time ceiling of config.capture_bytes; a power of two */
#define MAX_IOV     8    /* iovecs walked per readv/writev/recvmsg/sendmsg */

/* ---- minimal kernel struct shapes; CO-RE relocates every field ---- */
struct inode        { __u16 i_mode; } CORE;
struct file         { void *private_data; struct inode *f_inode; } CORE;
struct fdtable      { unsigned int max_fds; struct file **fd; } CORE;
struct files_struct { struct fdtable *fdt; } CORE;
struct task_struct  { struct files_struct *files; } CORE;
struct sock;
struct socket       { short type; struct sock *sk; } CORE;
struct in6_addr     { __u8 u6_addr8[16]; };
/* the kernel nests these in anonymous unions/structs; libbpf matches by name */
struct sock_common  { __be32 skc_daddr; __be32 skc_rcv_saddr;
                      __be16 skc_dport; __u16 skc_num;
                      unsigned short skc_family; unsigned char skc_state;
                      struct in6_addr skc_v6_daddr; struct in6_addr skc_v6_rcv_saddr; } CORE;
struct sock         { struct sock_common __sk_common; __u16 sk_protocol; } CORE;
struct tcp_sock     { __u32 write_seq; __u32 copied_seq; __u32 rcv_nxt; } CORE;
/* the user registers saved at syscall entry (x86-64): the arguments, still there at exit */
struct pt_regs___kernel { unsigned long di, si, dx, r10; } CORE;

/* ---- user-space ABI structs (stable uapi layouts, read with probe_read_user) ---- */
struct iovec_u   { __u64 base; __u64 len; };
struct msghdr_u  { __u64 name; __u32 namelen; __u32 pad; __u64 iov; __u64 iovlen; };
/* struct mmsghdr is { struct user_msghdr msg_hdr (56 bytes); unsigned int msg_len; } */
#define MMSG_LEN_OFFSET 56

/* ---- tracepoint record layouts (tracing/events/syscalls/<name>/format) ---- */
struct tp_enter { __u64 common; __s32 nr; __u32 pad; __u64 args[6]; };
struct tp_exit  { __u64 common; __s32 nr; __u32 pad; __s64 ret; };

/* x86-64 user pt_regs as the uprobe context (uapi layout, not relocated) */
struct pt_regs {
    unsigned long r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    unsigned long rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
};

#define S_IFMT      0170000
#define S_IFSOCK    0140000
#define AF_INET     2
#define AF_INET6    10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define MSG_PEEK    2
#define EINPROGRESS 115
/* TCP states (include/net/tcp_states.h) in which the peer's FIN has been received */
#define TCP_TIME_WAIT  6
#define TCP_CLOSE_WAIT 8
#define TCP_LAST_ACK   9
#define TCP_CLOSING    11

enum { EV_DATA = 1, EV_CONNECT = 2, EV_ACCEPT = 3, EV_CLOSE = 4, EV_SSL = 5, EV_TLS_OUT = 6 };
enum { DIR_EGRESS = 0, DIR_INGRESS = 1 };
enum { BUF_PLAIN = 0, BUF_IOV = 1, BUF_MSG = 2, BUF_MMSG = 3, BUF_NONE = 4 };
/* syscall ids reported in event.source (documentation for humans and tests) */
enum { SC_READ = 0, SC_WRITE, SC_READV, SC_WRITEV, SC_RECVFROM, SC_SENDTO, SC_RECVMSG,
       SC_SENDMSG, SC_RECVMMSG, SC_SENDMMSG, SC_ACCEPT4, SC_CONNECT, SC_CLOSE,
       SC_SSL_READ, SC_SSL_WRITE, SC_BIO_WRITE };

struct config {                /* array map "config", key 0; written by the loader */
    __u32 capture_bytes;       /* payload bytes copied per record, <= MAX_PAYLOAD */
    __u32 filter_pid;          /* nonzero: only tgids in map filter_pids */
    __u32 filter_comm;         /* nonzero: only comms in map filter_comms */
    __u32 filter_port;         /* nonzero: only sockets with a local or remote port in filter_ports */
    __u64 wakeup_bytes;        /* wake the reader only when this much data is pending */
    __u32 self_tgid;           /* never trace this process (the sensor's own exports) */
    __u32 pad;
};

struct event {                 /* header: must match src/Sensor/Native/EventHeader.cs (112 bytes) */
    __u64 ts_enter;            /* CLOCK_MONOTONIC ns at sys_enter / uprobe entry (= ts_exit for a receive) */
    __u64 ts_exit;             /* at sys_exit / uretprobe */
    __u64 sock;                /* struct sock * (connection identity) or SSL * for EV_SSL */
    __u32 pid, tid;
    __u32 fd;
    __u32 seq;                 /* TCP sequence of the first byte of this record */
    __s64 ret;                 /* bytes transferred */
    __u32 captured;            /* payload bytes that follow the header */
    __u8  kind, direction;
    __u16 family;
    __u16 lport, rport;        /* host byte order */
    __u32 source;              /* SC_* */
    __u8  laddr[16], raddr[16]; /* network byte order; IPv4 in the first 4 bytes */
    char  comm[16];
    __u8  data[2 * MAX_PAYLOAD]; /* scratch; only `captured` bytes are sent */
};
#define EVENT_HEADER_SIZE 112
/* the C# mirror (EventHeader.cs) and its layout test use these same numbers */
_Static_assert(__builtin_offsetof(struct event, data) == EVENT_HEADER_SIZE, "event header size");
_Static_assert(__builtin_offsetof(struct event, seq) == 36, "event.seq offset");
_Static_assert(__builtin_offsetof(struct event, ret) == 40, "event.ret offset");
_Static_assert(__builtin_offsetof(struct event, kind) == 52, "event.kind offset");
_Static_assert(__builtin_offsetof(struct event, lport) == 56, "event.lport offset");
_Static_assert(__builtin_offsetof(struct event, source) == 60, "event.source offset");
_Static_assert(__builtin_offsetof(struct event, laddr) == 64, "event.laddr offset");
_Static_assert(__builtin_offsetof(struct event, comm) == 96, "event.comm offset");
_Static_assert(sizeof(struct config) == 32, "config size");

struct pending {               /* per-thread state between enter and exit of accept4/connect and SSL calls */
    __u64 ts;
    __u64 sk;                  /* struct sock * (accept4/connect), SSL * (SSL calls) */
    __u64 buf;
    __u64 extra;               /* SSL_*_ex: size_t *written/readbytes */
    __u32 fd;
    __u8  direction, pad;
    __u16 source;
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 8 * 1024 * 1024); /* the loader may resize before load */
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct pending);
} active SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct pending);
} ssl_active SEC(".maps");

/* sys_enter time of the current send of a wanted thread (0 when none): a client span starts when its
 * request's send starts (on loopback the server may read the request before the client's send returns).
 * Task-local storage: found through the task itself, no hashing, no bucket lock; freed with the thread. */
struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u64);
} send_start SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct event);
} scratch SEC(".maps");

/* write BIO of an SSL object (SSL_set_bio), keyed by process and BIO address */
struct bio_key { __u64 bio; __u32 tgid; __u32 pad; };
struct bio_owner { __u64 ssl; __u32 writes; __u32 pad; };
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, struct bio_key);
    __type(value, struct bio_owner);
} ssl_wbio SEC(".maps");

/* 0: records lost because the ring buffer was full, 1: records submitted */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct config);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, __u8);
} filter_pids SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 256);
    __type(key, char[16]);
    __type(value, __u8);
} filter_comms SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u16);
    __type(value, __u8);
} filter_ports SEC(".maps");

/* What an fd of a process was found to be, so that the next syscall on it skips the socket walk,
 * the port filter and the 5-tuple reads. Validated on every use by the struct file the fd points
 * to now (an fd replaced without close, by dup2 or close_range, points elsewhere); dropped at close. */
struct fd_key  { __u32 tgid; __u32 fd; };
struct fd_info {
    __u64 file;                /* struct file * at classification */
    __u64 sk;                  /* struct sock *, 0 when not a traced TCP socket */
    __u16 family, lport, rport, pad;
    __u8  laddr[16], raddr[16];
};
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);       /* ~1.5 MiB preallocated; an evicted fd is just classified again */
    __type(key, struct fd_key);
    __type(value, struct fd_info);
} fd_cache SEC(".maps");

static __always_inline struct config *get_config(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&config, &zero);
}

static __always_inline void count(__u32 idx)
{
    __u64 *v = bpf_map_lookup_elem(&counters, &idx);
    if (v) __sync_fetch_and_add(v, 1);
}

/* pid and comm filters: cheap, checked before any kernel pointer walk */
static __always_inline bool task_wanted(struct config *c, __u32 tgid)
{
    if (tgid == c->self_tgid) return false;
    if (c->filter_pid && !bpf_map_lookup_elem(&filter_pids, &tgid)) return false;
    if (c->filter_comm) {
        char comm[16] = {};
        bpf_get_current_comm(comm, sizeof(comm));
        if (!bpf_map_lookup_elem(&filter_comms, comm)) return false;
    }
    return true;
}

/* the struct file an fd of the current task points to, or 0 */
static __always_inline struct file *file_of_fd(__u32 fd)
{
    /* task, files and fdtable are walked with direct loads through the BTF task pointer (no helper
     * call each); the fd array's slot is read with probe_read: the verifier does not index it */
    struct task_struct *task = bpf_get_current_task_btf();
    struct files_struct *files = task->files;
    if (!files) return 0;
    struct fdtable *fdt = files->fdt;
    if (!fdt) return 0;
    if (fd >= fdt->max_fds) return 0;
    struct file **fdarr = fdt->fd;
    if (!fdarr) return 0;
    struct file *f = 0;
    bpf_probe_read_kernel(&f, sizeof(f), &fdarr[fd]);
    return f;
}

/* file -> struct sock * if it is a TCP (v4/v6) socket, else 0 */
static __always_inline struct sock *tcp_sock_of_file(struct file *f)
{
    struct inode *ino = 0;
    __u16 mode = 0;
    struct socket *sock = 0;
    struct sock *sk = 0;
    short stype = 0;
    __u16 proto = 0, family = 0;

    if (!f) return 0;
    KREAD(ino, f->f_inode);
    if (!ino) return 0;
    KREAD(mode, ino->i_mode);
    if ((mode & S_IFMT) != S_IFSOCK) return 0;     /* files, pipes, ttys */
    KREAD(sock, f->private_data);                   /* struct socket * */
    if (!sock) return 0;
    KREAD(stype, sock->type);
    if (stype != SOCK_STREAM) return 0;
    KREAD(sk, sock->sk);
    if (!sk) return 0;
    KREAD(proto, sk->sk_protocol);
    KREAD(family, sk->__sk_common.skc_family);
    if (proto != IPPROTO_TCP || (family != AF_INET && family != AF_INET6)) return 0;
    return sk;
}

/* fd -> struct sock * if the fd is a TCP (v4/v6) socket, else 0 */
static __always_inline struct sock *tcp_sock_of_fd(__u32 fd)
{
    return tcp_sock_of_file(file_of_fd(fd));
}

static __always_inline bool port_wanted(struct config *c, struct sock *sk)
{
    if (!c->filter_port) return true;
    __u16 lport = 0, rport = 0;
    KREAD(lport, sk->__sk_common.skc_num);
    KREAD(rport, sk->__sk_common.skc_dport);
    rport = (__u16)((rport >> 8) | (rport << 8));
    return bpf_map_lookup_elem(&filter_ports, &lport) || bpf_map_lookup_elem(&filter_ports, &rport);
}

static __always_inline void fill_tuple(struct event *e, struct sock *sk)
{
    __u16 family = 0, dport = 0;
    KREAD(family, sk->__sk_common.skc_family);
    e->family = family;
    KREAD(e->lport, sk->__sk_common.skc_num);
    KREAD(dport, sk->__sk_common.skc_dport);
    e->rport = (__u16)((dport >> 8) | (dport << 8));
    __builtin_memset(e->laddr, 0, sizeof(e->laddr));
    __builtin_memset(e->raddr, 0, sizeof(e->raddr));
    if (family == AF_INET) {
        KREAD(*(__u32 *)e->laddr, sk->__sk_common.skc_rcv_saddr);
        KREAD(*(__u32 *)e->raddr, sk->__sk_common.skc_daddr);
    } else {
        KREAD(e->laddr, sk->__sk_common.skc_v6_rcv_saddr);
        KREAD(e->raddr, sk->__sk_common.skc_v6_daddr);
    }
}

static __always_inline void copy_tuple(struct event *e, const struct fd_info *info)
{
    e->family = info->family;
    e->lport = info->lport;
    e->rport = info->rport;
    __builtin_memcpy(e->laddr, info->laddr, sizeof(e->laddr));
    __builtin_memcpy(e->raddr, info->raddr, sizeof(e->raddr));
}

/* scratch for building an fd_info (too large for the stack next to the rest) */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct fd_info);
} fd_scratch SEC(".maps");

/*
 * The traced TCP socket behind fd of the current process, from fd_cache when the fd still points to
 * the same file, else classified and cached. A socket without both ports (not yet connected) is
 * classified every time: its ports, and so the port filter's answer, are still to come.
 */
static __always_inline const struct fd_info *lookup_fd(struct config *c, __u32 tgid, __u32 fd)
{
    struct file *f = file_of_fd(fd);
    if (!f) return 0;
    struct fd_key k = { .tgid = tgid, .fd = fd };
    struct fd_info *info = bpf_map_lookup_elem(&fd_cache, &k);
    if (info && info->file == (__u64)f) return info;

    __u32 zero = 0;
    info = bpf_map_lookup_elem(&fd_scratch, &zero);
    if (!info) return 0;
    __builtin_memset(info, 0, sizeof(*info));
    info->file = (__u64)f;
    struct sock *sk = tcp_sock_of_file(f);
    if (sk) {
        __u16 family = 0, dport = 0;
        KREAD(family, sk->__sk_common.skc_family);
        info->family = family;
        KREAD(info->lport, sk->__sk_common.skc_num);
        KREAD(dport, sk->__sk_common.skc_dport);
        info->rport = (__u16)((dport >> 8) | (dport << 8));
        if (family == AF_INET) {
            KREAD(*(__u32 *)info->laddr, sk->__sk_common.skc_rcv_saddr);
            KREAD(*(__u32 *)info->raddr, sk->__sk_common.skc_daddr);
        } else {
            KREAD(info->laddr, sk->__sk_common.skc_v6_rcv_saddr);
            KREAD(info->raddr, sk->__sk_common.skc_v6_daddr);
        }
        __u16 lport = info->lport, rport = info->rport;
        if (!c->filter_port || bpf_map_lookup_elem(&filter_ports, &lport) || bpf_map_lookup_elem(&filter_ports, &rport))
            info->sk = (__u64)sk;
        if (!lport || !rport) return info;          /* not connected yet: not cached */
    }
    bpf_map_update_elem(&fd_cache, &k, info, BPF_ANY);
    return info;
}

static __always_inline struct event *new_event(__u8 kind, __u64 id)
{
    __u32 zero = 0;
    struct event *e = bpf_map_lookup_elem(&scratch, &zero);
    if (!e) return 0;
    e->kind = kind;
    e->pid = id >> 32;
    e->tid = (__u32)id;
    e->captured = 0;
    e->seq = 0;
    e->fd = 0;
    e->sock = 0;
    e->family = 0;
    e->lport = 0;
    e->rport = 0;
    e->ret = 0;
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    return e;
}

static __always_inline void submit(struct event *e, struct config *c)
{
    __u64 size = EVENT_HEADER_SIZE + (__u64)e->captured;
    if (size > EVENT_HEADER_SIZE + MAX_PAYLOAD) size = EVENT_HEADER_SIZE + MAX_PAYLOAD;
    BARRIER_VAR(size);
    if (size > EVENT_HEADER_SIZE + MAX_PAYLOAD) return;
    /* batched wake-ups: the reader polls on a short timeout, so a quiet ring is drained without
     * a wake-up per record; a wake-up (an IPI, costly in a VM) is sent only when this record takes
     * the pending bytes across the threshold. While the reader sleeps the pending bytes only grow,
     * so they cross once; while it drains, it needs no wake-up. */
    __u64 pending = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    __u64 flags = pending < c->wakeup_bytes && pending + size >= c->wakeup_bytes
        ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
    if (bpf_ringbuf_output(&events, e, size, flags) != 0) count(0);
    else count(1);
}

/* copies min(total, cap) bytes from one user buffer */
static __always_inline __u32 copy_plain(struct event *e, __u64 src, __u64 total)
{
    __u64 n = total;
    if (n > MAX_PAYLOAD) n = MAX_PAYLOAD;
    BARRIER_VAR(n);
    if (n > MAX_PAYLOAD) return 0;
    if (bpf_probe_read_user(e->data, n, (const void *)src) != 0) return 0;
    return (__u32)n;
}

/* copies the first `total` bytes spread over an iovec array */
static __always_inline __u32 copy_iov(struct event *e, __u64 iovp, __u64 iovcnt, __u64 total)
{
    __u64 off = 0;
    if (total > MAX_PAYLOAD) total = MAX_PAYLOAD;
#pragma unroll
    for (int i = 0; i < MAX_IOV; i++) {
        if (i >= iovcnt || off >= total) break;
        struct iovec_u iov = {};
        if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)(iovp + i * sizeof(iov))) != 0) break;
        __u64 n = iov.len;
        __u64 left = total - off;
        if (n > left) n = left;
        if (n > MAX_PAYLOAD) n = MAX_PAYLOAD;
        BARRIER_VAR(n);
        if (n > MAX_PAYLOAD) break;
        __u64 o = off & (MAX_PAYLOAD - 1);
        if (bpf_probe_read_user(e->data + o, n, (const void *)iov.base) != 0) break;
        off += n;
    }
    return (__u32)off;
}

/* ---- accept4 / connect: the socket's ports change inside the call, so it is looked up at both ends ---- */

static __always_inline int on_conn_enter(struct tp_enter *ctx, __u16 source)
{
    struct config *c = get_config();
    if (!c) return 0;
    __u64 id = bpf_get_current_pid_tgid();
    if (!task_wanted(c, id >> 32)) return 0;
    __u32 fd = (__u32)ctx->args[0];
    struct sock *sk = tcp_sock_of_fd(fd);
    if (!sk || !port_wanted(c, sk)) return 0;
    struct pending p = {};
    p.ts = bpf_ktime_get_ns();
    p.sk = (__u64)sk;
    p.fd = fd;
    p.source = source;
    bpf_map_update_elem(&active, &id, &p, BPF_ANY);
    return 0;
}

static __always_inline int on_conn_exit(struct tp_exit *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct pending *pp = bpf_map_lookup_elem(&active, &id);
    if (!pp) return 0;
    struct pending p = *pp;
    bpf_map_delete_elem(&active, &id);
    struct config *c = get_config();
    if (!c) return 0;
    __s64 ret = ctx->ret;
    struct sock *sk = (struct sock *)p.sk;
    if (p.source == SC_CONNECT && ret != 0 && ret != -EINPROGRESS) return 0;
    if (p.source == SC_ACCEPT4) {
        if (ret < 0) return 0;
        sk = tcp_sock_of_fd((__u32)ret);
        if (!sk || !port_wanted(c, sk)) return 0;
        p.fd = (__u32)ret;
    }
    struct event *e = new_event(p.source == SC_CONNECT ? EV_CONNECT : EV_ACCEPT, id);
    if (!e) return 0;
    e->ts_enter = p.ts;
    e->ts_exit = bpf_ktime_get_ns();
    e->sock = (__u64)sk;
    e->fd = p.fd;
    e->ret = ret;
    e->source = p.source;
    e->direction = p.source == SC_CONNECT ? DIR_EGRESS : DIR_INGRESS;
    fill_tuple(e, sk);
    submit(e, c);
    return 0;
}

/* ---- sends and receives ---- */

static __always_inline int on_send_enter(void)
{
    struct config *c = get_config();
    if (!c) return 0;
    __u64 id = bpf_get_current_pid_tgid();
    if (!task_wanted(c, id >> 32)) return 0;
    __u64 *start = bpf_task_storage_get(&send_start, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (start) *start = bpf_ktime_get_ns();
    return 0;
}

/* which syscall argument holds the flags of a receive (MSG_PEEK is skipped): none, arg 2 or arg 3 */
enum { FLAGS_NONE = 0, FLAGS_ARG2 = 2, FLAGS_ARG3 = 3 };

/*
 * The TCP sequence of the first byte a send or receive moved, read at exit: the socket's counter
 * then already counts this call's bytes. A receive that reached the peer's FIN also counted the FIN
 * (tcp_recvmsg's found_fin_ok); that happened exactly when the FIN has arrived (the state says so)
 * and nothing is left unread before it (copied_seq caught up with rcv_nxt, which counts the FIN).
 */
static __always_inline __u32 first_seq(struct sock *sk, __u8 direction, __u64 bytes)
{
    struct tcp_sock *tp = (struct tcp_sock *)sk;
    __u32 end = 0;
    if (direction == DIR_EGRESS) {
        KREAD(end, tp->write_seq);
        return end - (__u32)bytes;
    }
    __u32 rcv_nxt = 0;
    __u8 state = 0;
    KREAD(end, tp->copied_seq);
    KREAD(rcv_nxt, tp->rcv_nxt);
    KREAD(state, sk->__sk_common.skc_state);
    bool fin_read = end == rcv_nxt && (state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK
                                       || state == TCP_CLOSING || state == TCP_TIME_WAIT);
    return end - (__u32)bytes - (fin_read ? 1 : 0);
}

static __always_inline int on_data_exit(struct tp_exit *ctx, __u8 buf_kind, __u8 direction, __u16 source, int flags_arg)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u64 ts_enter = 0;
    if (direction == DIR_EGRESS) {
        __u64 *start = bpf_task_storage_get(&send_start, bpf_get_current_task_btf(), 0, 0);
        if (!start || !*start) return 0;         /* the enter program passed this task over */
        ts_enter = *start;
        *start = 0;
    }
    __s64 ret = ctx->ret;
    if (ret <= 0) return 0;                      /* EAGAIN, errors, end of stream */
    struct config *c = get_config();
    if (!c) return 0;
    if (direction == DIR_INGRESS && !task_wanted(c, id >> 32)) return 0;

    struct pt_regs___kernel *regs = bpf_task_pt_regs(bpf_get_current_task_btf());
    __u32 fd = (__u32)regs->di;
    __u64 buf = regs->si, iovcnt = regs->dx;
    __u64 flags = flags_arg == FLAGS_ARG2 ? regs->dx : flags_arg == FLAGS_ARG3 ? regs->r10 : 0;
    if (flags & MSG_PEEK) return 0;              /* the bytes will be read again */
    const struct fd_info *info = lookup_fd(c, id >> 32, fd);
    if (!info || !info->sk) return 0;

    __u64 bytes = (__u64)ret;
    __u8 kind = buf_kind;
    if (kind == BUF_MMSG) {
        /* ret is a message count: take the first message only (TCP callers use one) */
        __u32 len = 0;
        bpf_probe_read_user(&len, sizeof(len), (const void *)(buf + MMSG_LEN_OFFSET));
        bytes = len;
        kind = BUF_MSG;
        if (bytes == 0) return 0;
    }
    if (kind == BUF_MSG) {
        struct msghdr_u m = {};
        if (bpf_probe_read_user(&m, sizeof(m), (const void *)buf) != 0) return 0;
        buf = m.iov;
        iovcnt = m.iovlen;
        kind = BUF_IOV;
    }

    struct event *e = new_event(EV_DATA, id);
    if (!e) return 0;
    e->ts_exit = bpf_ktime_get_ns();
    e->ts_enter = direction == DIR_EGRESS ? ts_enter : e->ts_exit;
    e->sock = info->sk;
    e->fd = fd;
    e->ret = (__s64)bytes;
    e->direction = direction;
    e->source = source;
    copy_tuple(e, info);
    e->seq = first_seq((struct sock *)info->sk, direction, bytes);

    __u64 cap = c->capture_bytes;
    if (cap > bytes) cap = bytes;
    if (kind == BUF_PLAIN) e->captured = copy_plain(e, buf, cap);
    else e->captured = copy_iov(e, buf, iovcnt, cap);
    submit(e, c);
    return 0;
}

#define RECV(name, bufkind, src, flagsarg)                                       \
SEC("tracepoint/syscalls/sys_exit_" #name)                                       \
int exit_##name(struct tp_exit *ctx)                                             \
{ return on_data_exit(ctx, bufkind, DIR_INGRESS, src, flagsarg); }

#define SEND(name, bufkind, src)                                                 \
SEC("tracepoint/syscalls/sys_enter_" #name)                                      \
int enter_##name(struct tp_enter *ctx) { return on_send_enter(); }               \
SEC("tracepoint/syscalls/sys_exit_" #name)                                       \
int exit_##name(struct tp_exit *ctx)                                             \
{ return on_data_exit(ctx, bufkind, DIR_EGRESS, src, FLAGS_NONE); }

#define CONN(name, src)                                                          \
SEC("tracepoint/syscalls/sys_enter_" #name)                                      \
int enter_##name(struct tp_enter *ctx) { return on_conn_enter(ctx, src); }       \
SEC("tracepoint/syscalls/sys_exit_" #name)                                       \
int exit_##name(struct tp_exit *ctx) { return on_conn_exit(ctx); }

RECV(read,     BUF_PLAIN, SC_READ,     FLAGS_NONE)
RECV(readv,    BUF_IOV,   SC_READV,    FLAGS_NONE)
RECV(recvfrom, BUF_PLAIN, SC_RECVFROM, FLAGS_ARG3)
RECV(recvmsg,  BUF_MSG,   SC_RECVMSG,  FLAGS_ARG2)
RECV(recvmmsg, BUF_MMSG,  SC_RECVMMSG, FLAGS_ARG3)
SEND(write,    BUF_PLAIN, SC_WRITE)
SEND(writev,   BUF_IOV,   SC_WRITEV)
SEND(sendto,   BUF_PLAIN, SC_SENDTO)
SEND(sendmsg,  BUF_MSG,   SC_SENDMSG)
SEND(sendmmsg, BUF_MMSG,  SC_SENDMMSG)
CONN(accept4,  SC_ACCEPT4)
CONN(connect,  SC_CONNECT)

SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct tp_enter *ctx)
{
    struct config *c = get_config();
    if (!c) return 0;
    __u64 id = bpf_get_current_pid_tgid();
    if (!task_wanted(c, id >> 32)) return 0;
    __u32 fd = (__u32)ctx->args[0];
    struct fd_key k = { .tgid = id >> 32, .fd = fd };
    const struct fd_info *info = bpf_map_lookup_elem(&fd_cache, &k);
    struct file *f = info ? file_of_fd(fd) : 0;
    bool cached = info && info->file == (__u64)f;
    struct sock *sk = cached ? (struct sock *)info->sk : tcp_sock_of_fd(fd);
    if (!sk || (!cached && !port_wanted(c, sk))) {
        if (info) bpf_map_delete_elem(&fd_cache, &k);
        return 0;
    }
    struct event *e = new_event(EV_CLOSE, id);
    if (!e) return 0;
    e->ts_enter = e->ts_exit = bpf_ktime_get_ns();
    e->sock = (__u64)sk;
    e->fd = fd;
    e->source = SC_CLOSE;
    if (cached) copy_tuple(e, info);
    else fill_tuple(e, sk);
    if (info) bpf_map_delete_elem(&fd_cache, &k);
    submit(e, c);
    return 0;
}

/* ---- libssl: plaintext at SSL_read/SSL_write (and the _ex variants servers use) ---- */

static __always_inline int ssl_enter(struct pt_regs *regs, __u8 direction, __u16 source, bool ex)
{
    struct config *c = get_config();
    if (!c) return 0;
    __u64 id = bpf_get_current_pid_tgid();
    if (!task_wanted(c, id >> 32)) return 0;
    struct pending p = {};
    p.ts = bpf_ktime_get_ns();
    p.sk = regs->rdi;          /* SSL * */
    p.buf = regs->rsi;
    p.direction = direction;
    p.source = source;
    p.extra = ex ? regs->rcx : 0;
    bpf_map_update_elem(&ssl_active, &id, &p, BPF_ANY);
    return 0;
}

static __always_inline int ssl_exit(struct pt_regs *regs)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct pending *pp = bpf_map_lookup_elem(&ssl_active, &id);
    if (!pp) return 0;
    struct pending p = *pp;
    bpf_map_delete_elem(&ssl_active, &id);
    struct config *c = get_config();
    if (!c) return 0;
    __s64 rc = (__s32)regs->rax;
    if (rc <= 0) return 0;
    __u64 bytes = (__u64)rc;
    if (p.extra) {             /* _ex: returns 1, the count is in *written / *readbytes */
        bytes = 0;
        bpf_probe_read_user(&bytes, sizeof(bytes), (const void *)p.extra);
        if (bytes == 0) return 0;
    }
    struct event *e = new_event(EV_SSL, id);
    if (!e) return 0;
    e->ts_enter = p.ts;
    e->ts_exit = bpf_ktime_get_ns();
    e->sock = p.sk;
    e->ret = (__s64)bytes;
    e->direction = p.direction;
    e->source = p.source;
    __builtin_memset(e->laddr, 0, sizeof(e->laddr));
    __builtin_memset(e->raddr, 0, sizeof(e->raddr));
    __u64 cap = c->capture_bytes;
    if (cap > bytes) cap = bytes;
    e->captured = copy_plain(e, p.buf, cap);
    submit(e, c);
    return 0;
}

/* ---- tying an SSL object to its socket by the ciphertext it writes ----
 * Every TLS record an SSL object produces goes through BIO_write on its write BIO: inside
 * the send for a socket BIO (nginx, curl), into memory for runtimes that move the bytes
 * themselves (.NET SslStream). The first records (the handshake) are reported with their
 * first ciphertext bytes; user space finds those bytes in a socket send of the same process,
 * which ties the object to that socket before any application data flows. */
#define TLS_OUT_BYTES  32 /* ciphertext bytes reported per record: random enough to be unique */
#define TLS_OUT_WRITES 4  /* records reported per write BIO; one match is enough */

SEC("uprobe")
int ssl_set_bio_enter(struct pt_regs *regs)
{
    struct config *c = get_config();
    if (!c) return 0;
    __u64 id = bpf_get_current_pid_tgid();
    if (!task_wanted(c, id >> 32)) return 0;
    if (!regs->rdx) return 0;
    struct bio_key k = { .bio = regs->rdx, .tgid = id >> 32 };
    struct bio_owner o = { .ssl = regs->rdi };
    bpf_map_update_elem(&ssl_wbio, &k, &o, BPF_ANY);
    return 0;
}

SEC("uprobe")
int bio_write_enter(struct pt_regs *regs)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct bio_key k = { .bio = regs->rdi, .tgid = id >> 32 };
    struct bio_owner *o = bpf_map_lookup_elem(&ssl_wbio, &k);
    if (!o || o->writes >= TLS_OUT_WRITES) return 0;   /* not an SSL write BIO, or already reported */
    o->writes++;
    __s64 len = (__s32)regs->rdx;
    if (len < TLS_OUT_BYTES / 2) return 0;
    struct config *c = get_config();
    if (!c) return 0;
    struct event *e = new_event(EV_TLS_OUT, id);
    if (!e) return 0;
    e->ts_enter = e->ts_exit = bpf_ktime_get_ns();
    e->sock = o->ssl;
    e->ret = len;
    e->direction = DIR_EGRESS;
    e->source = SC_BIO_WRITE;
    __builtin_memset(e->laddr, 0, sizeof(e->laddr));
    __builtin_memset(e->raddr, 0, sizeof(e->raddr));
    __u64 n = len < TLS_OUT_BYTES ? (__u64)len : TLS_OUT_BYTES;
    e->captured = copy_plain(e, regs->rsi, n);
    submit(e, c);
    return 0;
}

SEC("uprobe")
int ssl_read_enter(struct pt_regs *regs) { return ssl_enter(regs, DIR_INGRESS, SC_SSL_READ, false); }
SEC("uprobe")
int ssl_read_ex_enter(struct pt_regs *regs) { return ssl_enter(regs, DIR_INGRESS, SC_SSL_READ, true); }
SEC("uprobe")
int ssl_write_enter(struct pt_regs *regs) { return ssl_enter(regs, DIR_EGRESS, SC_SSL_WRITE, false); }
SEC("uprobe")
int ssl_write_ex_enter(struct pt_regs *regs) { return ssl_enter(regs, DIR_EGRESS, SC_SSL_WRITE, true); }
SEC("uretprobe")
int ssl_return(struct pt_regs *regs) { return ssl_exit(regs); }

char LICENSE[] SEC("license") = "GPL";
