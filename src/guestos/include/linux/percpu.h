/*
 * Per-CPU variables. Static ones live in .data..percpu; at boot
 * setup_per_cpu_areas() copies that section into each CPU's unit and sets
 * __per_cpu_offset[cpu]. On i386 %fs holds a segment whose base is this
 * CPU's offset, so this_cpu_read(x) is one "mov %fs:x" (Linux's __percpu_seg).
 */
#ifndef _LINUX_PERCPU_H
#define _LINUX_PERCPU_H
#include <linux/types.h>

#define DEFINE_PER_CPU(type, name) __attribute__((section(".data..percpu"))) __typeof__(type) name
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name

extern unsigned long __per_cpu_offset[];
DECLARE_PER_CPU(unsigned long, this_cpu_off);

#define per_cpu_ptr(ptr, cpu) ((__typeof__(ptr))((unsigned long)(ptr) + __per_cpu_offset[cpu]))
#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), cpu))
#define smp_processor_id() 0

#define this_cpu_read(var) ({						\
	__typeof__(var) __v;						\
	_Static_assert(sizeof(var) == 4, "4-byte per-CPU reads only");	\
	__asm__ volatile("movl %%fs:%1, %0" : "=r"(__v) : "m"(var));	\
	__v; })
#define this_cpu_write(var, val) do {					\
	__typeof__(var) __v = (val);					\
	_Static_assert(sizeof(var) == 4, "4-byte per-CPU writes only");	\
	__asm__ volatile("movl %1, %%fs:%0" : "=m"(var) : "ri"(__v));	\
	} while (0)
#define this_cpu_add(var, val) do {					\
	_Static_assert(sizeof(var) == 4, "4-byte per-CPU adds only");	\
	__asm__ volatile("addl %1, %%fs:%0" : "+m"(var) : "ri"(val));	\
	} while (0)
#define this_cpu_inc(var) this_cpu_add(var, 1)
#define this_cpu_ptr(ptr) ((__typeof__(ptr))((unsigned long)(ptr) + this_cpu_read(this_cpu_off)))

/* One CPU, no preemption: disabling preemption is a no-op counter. */
extern int preempt_count;
#define preempt_disable() (preempt_count++)
#define preempt_enable() (preempt_count--)
#define get_cpu_var(var) (*({ preempt_disable(); this_cpu_ptr(&(var)); }))
#define put_cpu_var(var) do { (void)&(var); preempt_enable(); } while (0)
#define get_cpu_ptr(ptr) ({ preempt_disable(); this_cpu_ptr(ptr); })
#define put_cpu_ptr(ptr) do { (void)(ptr); preempt_enable(); } while (0)

void __percpu *__alloc_percpu(size_t size, size_t align);
#define alloc_percpu(type) ((type __percpu *)__alloc_percpu(sizeof(type), __alignof__(type)))
void free_percpu(void __percpu *ptr);
void setup_per_cpu_areas(void);
unsigned long pcpu_nr_pages(void);
unsigned long pcpu_dyn_free_bytes(void);

#endif
