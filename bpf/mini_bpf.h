/* mini_bpf.h - the handful of declarations a CO-RE BPF program needs,
 * written by hand so that neither vmlinux.h nor libbpf-dev headers are
 * required.  Only clang (-target bpf) is needed to compile. */
#ifndef MINI_BPF_H
#define MINI_BPF_H

typedef unsigned char      __u8;
typedef unsigned short     __u16;
typedef unsigned int       __u32;
typedef unsigned long long __u64;
typedef signed char        __s8;
typedef short              __s16;
typedef int                __s32;
typedef long long          __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

/* ELF section + BTF map definition helpers (same shape libbpf expects) */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __always_inline inline __attribute__((always_inline))

/* CO-RE: every member access on a struct carrying this attribute is
 * recorded as a relocation that libbpf fixes up against the running
 * kernel's BTF (/sys/kernel/btf/vmlinux) at load time. */
#define CORE __attribute__((preserve_access_index))

/* map types (include/uapi/linux/bpf.h) */
enum {
    BPF_MAP_TYPE_HASH    = 1,
    BPF_MAP_TYPE_ARRAY   = 2,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
    BPF_MAP_TYPE_LRU_HASH = 9,
    BPF_MAP_TYPE_RINGBUF = 27,
    BPF_MAP_TYPE_TASK_STORAGE = 29,
};
#define BPF_ANY 0
#define BPF_F_NO_PREALLOC 1                  /* map_flags; local storage maps require it */
#define BPF_LOCAL_STORAGE_GET_F_CREATE 1

/* bpf_ringbuf_output/query flags */
#define BPF_RB_NO_WAKEUP    1
#define BPF_RB_FORCE_WAKEUP 2
#define BPF_RB_AVAIL_DATA   0

/* helpers, called through their stable numeric ids */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)16;
static __u64 (*bpf_get_current_task)(void) = (void *)35;
static long (*bpf_probe_read_user)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)112;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)130;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
static __u64 (*bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)134;

/* returns a BTF-typed pointer: fields reached through it are read with plain (fault-checked) loads */
struct task_struct;
static struct task_struct *(*bpf_get_current_task_btf)(void) = (void *)158;
static void *(*bpf_task_storage_get)(void *map, struct task_struct *task, void *value, __u64 flags) = (void *)156;
/* the task's user registers saved at kernel entry (BTF-typed, as above) */
static void *(*bpf_task_pt_regs)(struct task_struct *task) = (void *)175;

/* keeps clang from folding a bound check the verifier needs to see */
#define BARRIER_VAR(v) asm volatile("" : "+r"(v))

/* read a kernel value through a CO-RE-relocated address */
#define KREAD(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))

#endif
