/* Everyday helpers: printk, BUG, min/max, alignment, irq flags. */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H
#include <linux/types.h>

#define offsetof(t, m) __builtin_offsetof(t, m)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define ALIGN(x, a) (((x) + ((a) - 1)) & ~((typeof(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __init
#define __percpu
#define __aligned(x) __attribute__((aligned(x)))
#define __packed __attribute__((packed))
#define __noreturn __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))

#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_INFO "<6>"

#define EINVAL 22
#define ENOMEM 12
#define EBUSY 16
#define EFAULT 14

int printk(const char *fmt, ...) __printf(1, 2);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
void dump_stack(void);
#define pr_err(...) printk(__VA_ARGS__)
#define pr_warn(...) printk(__VA_ARGS__)
#define pr_info(...) printk(__VA_ARGS__)

#define BUG() panic("kernel BUG at %s:%d!", __FILE__, __LINE__)
#define BUG_ON(c) do { if (unlikely(c)) BUG(); } while (0)
#define WARN_ON(c) ({ int __c = !!(c); if (unlikely(__c)) { printk("WARNING: at %s:%d\n", __FILE__, __LINE__); dump_stack(); } __c; })

/* Uniprocessor kernel: a critical section is interrupts off (EFLAGS.IF). */
static inline unsigned long arch_local_irq_save(void)
{
	unsigned long flags;
	__asm__ volatile("pushfl; popl %0; cli" : "=r"(flags) : : "memory");
	return flags;
}
static inline void arch_local_irq_restore(unsigned long flags)
{
	__asm__ volatile("pushl %0; popfl" : : "r"(flags) : "memory", "cc");
}
#define local_irq_save(f) ((f) = arch_local_irq_save())
#define local_irq_restore(f) arch_local_irq_restore(f)
#define local_irq_enable() __asm__ volatile("sti" ::: "memory")
#define local_irq_disable() __asm__ volatile("cli" ::: "memory")

static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}
static inline unsigned long __ffs(unsigned long x)
{
	return __builtin_ctz(x);
}
static inline unsigned long rounddown_pow_of_two(unsigned long n)
{
	return 1UL << (fls(n) - 1);
}
unsigned long int_sqrt(unsigned long x);
unsigned long simple_strtoul(const char *cp, char **endp, unsigned int base);

/* The kernel command line kept at boot (Linux x86: 2048; run= scripts need more, 8 KiB with the path). */
#define COMMAND_LINE_SIZE 8192

extern unsigned long volatile jiffies;
#define HZ 100

#endif
