/* Fixed-width and kernel types for the freestanding i386 guest. */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef u8 uint8_t;
typedef u16 uint16_t;
typedef u32 uint32_t;
typedef u64 uint64_t;
typedef s32 int32_t;
typedef s64 int64_t;
typedef unsigned int size_t;
typedef int ssize_t;
typedef unsigned long uintptr_t;
typedef long ptrdiff_t;
typedef u64 phys_addr_t;
typedef unsigned int gfp_t;
typedef unsigned int slab_flags_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)

struct list_head {
	struct list_head *next, *prev;
};

#endif
