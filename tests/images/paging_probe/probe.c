/* Paging probe: a multiboot kernel that provokes page faults from ring 0
 * and ring 3 and prints, one line per case on COM1, what the processor did:
 * fault or not, the #PF error code, CR2, the A/D bits of the PDE and PTE
 * afterwards, and the value read. Each line also carries what the SDM
 * (Vol. 3 §4.6, §4.7, §4.8) says should happen (exp=), so one run on any
 * x86 checks itself; run_probe.sh compares runs on QEMU and on Pagoda.
 *
 * Memory: 0..4 MiB identity-mapped by 4 KiB user/read-write pages (the
 * probe, its tables and the test frames at 3 MiB; the page of the GDT, IDT
 * and TSS is supervisor-only); lin 8..12 MiB through
 * pt_test (the 4 KiB cases); lin 12..16 MiB is a 4 MiB page onto phys 0
 * (the 4 MiB cases), so each case's frame is at phys 3 MiB + 4 KiB * k. */
#include <stdint.h>

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

#define PG_P   0x001u
#define PG_RW  0x002u
#define PG_US  0x004u
#define PG_A   0x020u
#define PG_D   0x040u
#define PG_PS  0x080u
#define PG_G   0x100u

#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PGE (1u << 7)

#define FRAME(k)  (0x00300000u + (uint32_t)(k) * 4096u)
#define LIN4K(k)  (0x00800000u + (uint32_t)(k) * 4096u)
#define LIN4M(k)  (0x00c00000u + FRAME(k))
#define OFF 0x10u   /* where each frame holds its marker (and "jmp *%ecx") */

enum { READ, WRITE, FETCH, LOAD_DS };

extern const uint32_t exc_table[32];
extern const uint32_t syscall_entry_addr;
extern uint32_t isr_stack_top[];
extern volatile uint32_t pf_err, pf_cr2, pf_count;
uint32_t kaccess(uint32_t lin, int kind, uint32_t val);
uint32_t uaccess(uint32_t lin, int kind, uint32_t val);
void probe_main(uint32_t magic, uint32_t mbi);
void unexpected_exception(const uint32_t *frame) __attribute__((noreturn));

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt0[1024] __attribute__((aligned(4096)));
static uint32_t pt_test[1024] __attribute__((aligned(4096)));
/* The GDT, IDT and TSS share one page that ring 3 may not touch: every
 * interrupt, #PF and INT 0x80 from ring 3 reads them with implicit
 * supervisor accesses (SDM §4.6: these are supervisor-mode accesses
 * whatever the CPL), so every ring-3 case also probes that rule. */
static struct {
    uint64_t gdt[6];
    uint64_t idt[256];
    uint32_t tss[26];
} sys __attribute__((aligned(4096)));
#define gdt sys.gdt
#define idt sys.idt
#define tss sys.tss

/* ---- port I/O, control registers ---- */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
static inline void invlpg(uint32_t lin) { __asm__ volatile("invlpg (%0)" ::"r"(lin) : "memory"); }
static inline void reload_cr3(void) { write_cr3((uint32_t)pd); }

/* ---- COM1, polled ---- */

static void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts */
    outb(COM1 + 3, 0x80);   /* DLAB */
    outb(COM1 + 0, 0x01);   /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    outb(COM1 + 2, 0x07);   /* FIFOs on, cleared */
}

static void putc_serial(char c)
{
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
    while (*s)
        putc_serial(*s++);
}

static void put_hex(uint32_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        putc_serial("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void put_dec(uint32_t v)
{
    char buf[12];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_serial(buf[--n]);
}

static void __attribute__((noreturn)) exit_qemu(uint8_t code)
{
    outb(DEBUG_EXIT, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void unexpected_exception(const uint32_t *frame)
{
    puts_serial("FAIL unexpected exception ");
    put_dec(frame[0]);
    puts_serial(" err=");
    put_hex(frame[1], 8);
    puts_serial(" eip=");
    put_hex(frame[2], 8);
    puts_serial("\n");
    exit_qemu(0x7f);
}

/* ---- descriptor tables ---- */

static uint64_t seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t gran)
{
    return (limit & 0xffffu) | (uint64_t)(base & 0xffffffu) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(gran & 0xf0) << 48 |
           (uint64_t)(base >> 24) << 56;
}

static uint64_t gate(uint32_t handler, uint8_t dpl)
{
    /* 32-bit interrupt gate, kernel code selector 0x08 */
    return (handler & 0xffffu) | (uint64_t)0x08 << 16 | (uint64_t)(0x8e | dpl << 5) << 40 |
           (uint64_t)(handler >> 16) << 48;
}

static void tables_init(void)
{
    /* accessed bits preset: loading a selector then never writes the GDT */
    gdt[1] = seg(0, 0xfffff, 0x9b, 0xc0);   /* 0x08 ring 0 code */
    gdt[2] = seg(0, 0xfffff, 0x93, 0xc0);   /* 0x10 ring 0 data */
    gdt[3] = seg(0, 0xfffff, 0xfb, 0xc0);   /* 0x1b ring 3 code */
    gdt[4] = seg(0, 0xfffff, 0xf3, 0xc0);   /* 0x23 ring 3 data */
    gdt[5] = seg((uint32_t)tss, sizeof tss - 1, 0x89, 0x00);   /* 0x28 TSS */
    tss[1] = (uint32_t)isr_stack_top;   /* ESP0 */
    tss[2] = 0x10;                      /* SS0 */
    tss[25] = sizeof tss << 16;         /* I/O map base beyond the limit: no bitmap */
    for (int v = 0; v < 32; v++)
        idt[v] = gate(exc_table[v], 0);
    idt[0x80] = gate(syscall_entry_addr, 3);

    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } gdtr = { sizeof gdt - 1, (uint32_t)gdt },
                                                                    idtr = { sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lgdt %0" ::"m"(gdtr));
    __asm__ volatile("ljmp $0x08, $1f\n1:\n"
                     "mov $0x10, %%eax\n mov %%eax, %%ds\n mov %%eax, %%es\n"
                     "mov %%eax, %%fs\n mov %%eax, %%gs\n mov %%eax, %%ss\n" ::: "eax", "memory");
    __asm__ volatile("lidt %0" ::"m"(idtr));
    __asm__ volatile("ltr %w0" ::"r"(0x28));
}

static void paging_init(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        pt0[i] = (i << 12) | PG_P | PG_RW | PG_US;
    pt0[(uint32_t)&sys >> 12] &= ~PG_US;   /* system tables: supervisor only */
    pd[0] = (uint32_t)pt0 | PG_P | PG_RW | PG_US;
    write_cr3((uint32_t)pd);
    write_cr4(read_cr4() | CR4_PSE);
    write_cr0(read_cr0() | CR0_PG);
}

/* ---- cases ---- */

struct pcase {
    const char *name;
    int ring, kind, large, wp;
    uint32_t pde, pte;   /* P/RW/US (and other) bits of the tested entries */
    int crossing;        /* access 4 bytes at 0xffe of the page below */
    const char *exp;     /* the SDM's answer: "ok" or the error code in hex */
};

#define URW (PG_P | PG_RW | PG_US)
static const struct pcase cases[] = {
    /* ring 0 */
    { "cpl0-read-present", 0, READ, 0, 0, URW, URW, 0, "ok" },
    { "cpl0-write-present", 0, WRITE, 0, 0, URW, URW, 0, "ok" },
    { "cpl0-read-pte-not-present", 0, READ, 0, 0, URW, PG_RW | PG_US, 0, "0" },
    { "cpl0-write-pde-not-present", 0, WRITE, 0, 0, PG_RW | PG_US, URW, 0, "2" },
    { "cpl0-write-readonly-pte-wp0", 0, WRITE, 0, 0, URW, PG_P | PG_US, 0, "ok" },
    { "cpl0-write-readonly-pte-wp1", 0, WRITE, 0, 1, URW, PG_P | PG_US, 0, "3" },
    { "cpl0-write-readonly-pde-wp1", 0, WRITE, 0, 1, PG_P | PG_US, URW, 0, "3" },
    { "cpl0-read-supervisor-page", 0, READ, 0, 1, PG_P, PG_P, 0, "ok" },
    { "cpl0-fetch-present", 0, FETCH, 0, 1, PG_P, PG_P, 0, "ok" },
    { "cpl0-fetch-pte-not-present", 0, FETCH, 0, 0, URW, 0, 0, "0" },
    /* ring 3 */
    { "cpl3-read-user-page", 3, READ, 0, 0, URW, URW, 0, "ok" },
    { "cpl3-write-user-page", 3, WRITE, 0, 0, URW, URW, 0, "ok" },
    { "cpl3-read-supervisor-pte", 3, READ, 0, 0, URW, PG_P | PG_RW, 0, "5" },
    { "cpl3-read-supervisor-pde", 3, READ, 0, 0, PG_P | PG_RW, URW, 0, "5" },
    { "cpl3-write-readonly-pte", 3, WRITE, 0, 0, URW, PG_P | PG_US, 0, "7" },
    { "cpl3-write-readonly-pde", 3, WRITE, 0, 0, PG_P | PG_US, URW, 0, "7" },
    { "cpl3-write-readonly-pte-wp1", 3, WRITE, 0, 1, URW, PG_P | PG_US, 0, "7" },
    { "cpl3-read-pte-not-present", 3, READ, 0, 0, URW, PG_RW | PG_US, 0, "4" },
    { "cpl3-write-pte-not-present", 3, WRITE, 0, 0, URW, 0, 0, "6" },
    { "cpl3-write-pde-not-present", 3, WRITE, 0, 0, 0, URW, 0, "6" },
    { "cpl3-fetch-user-page", 3, FETCH, 0, 0, URW, PG_P | PG_US, 0, "ok" },
    { "cpl3-fetch-supervisor-pte", 3, FETCH, 0, 0, URW, PG_P, 0, "5" },
    { "cpl3-fetch-not-present", 3, FETCH, 0, 0, URW, PG_US, 0, "4" },
    /* the GDT's page is supervisor-only: a selector load at CPL 3 reads it */
    { "cpl3-descriptor-load-from-supervisor-page", 3, LOAD_DS, 0, 1, URW, URW, 0, "ok" },
    /* 4 MiB pages */
    { "4m-cpl0-read", 0, READ, 1, 0, URW, 0, 0, "ok" },
    { "4m-cpl0-write", 0, WRITE, 1, 0, URW, 0, 0, "ok" },
    { "4m-cpl0-write-readonly-wp1", 0, WRITE, 1, 1, PG_P | PG_US, 0, 0, "3" },
    { "4m-cpl3-read-supervisor", 3, READ, 1, 0, PG_P | PG_RW, 0, 0, "5" },
    { "4m-cpl3-write-readonly", 3, WRITE, 1, 0, PG_P | PG_US, 0, 0, "7" },
    { "4m-cpl3-write", 3, WRITE, 1, 0, URW, 0, 0, "ok" },
    { "4m-cpl3-read-not-present", 3, READ, 1, 0, PG_RW | PG_US, 0, 0, "4" },
    { "4m-cpl0-read-reserved-bit21", 0, READ, 1, 0, URW | (1u << 21), 0, 0, "9" },
    { "4m-cpl3-write-reserved-bit17", 3, WRITE, 1, 0, URW | (1u << 17), 0, 0, "f" },
    { "4m-cpl0-read-reserved-bit13", 0, READ, 1, 0, URW | (1u << 13), 0, 0, "9" },
    /* accesses crossing into the tested page from a writable one */
    { "cross-cpl0-write-into-not-present", 0, WRITE, 0, 0, URW, 0, 1, "2" },
    { "cross-cpl3-write-into-readonly", 3, WRITE, 0, 0, URW, PG_P | PG_US, 1, "7" },
    { "cross-cpl3-read-into-supervisor", 3, READ, 0, 0, URW, PG_P | PG_RW, 1, "5" },
    { "cross-cpl3-write-into-user-page", 3, WRITE, 0, 0, URW, URW, 1, "ok" },
};

static uint32_t marker(int k) { return 0x0000e1ffu | (0x100u + (uint32_t)k) << 16; }

static void fill_frame(int k)
{
    volatile uint32_t *f = (volatile uint32_t *)FRAME(k);
    for (int i = 0; i < 1024; i++)
        f[i] = 0;
    f[OFF / 4] = marker(k);   /* "jmp *%ecx" in its low two bytes */
}

static int line_no;

static void print_bits(const char *name, uint32_t e, int have)
{
    puts_serial(name);
    puts_serial("=");
    if (!have) {
        puts_serial("--");
        return;
    }
    putc_serial(e & PG_A ? 'A' : '-');
    putc_serial(e & PG_D ? 'D' : '-');
}

static void begin_line(const char *name)
{
    puts_serial("case ");
    put_dec((uint32_t)++line_no);
    puts_serial(" ");
    puts_serial(name);
    puts_serial(":");
}

static void run_case(const struct pcase *c, int k)
{
    uint32_t pde_index = c->large ? 3 : 2, pte_index = (uint32_t)k, lin;
    fill_frame(k);
    fill_frame(k + 1);
    if (c->large) {
        pd[3] = 0 | PG_PS | c->pde;
        lin = LIN4M(k) + OFF;
    } else {
        pd[2] = (uint32_t)pt_test | c->pde;
        pt_test[k] = FRAME(k) | c->pte;
        lin = LIN4K(k) + OFF;
        if (c->crossing) {
            /* the page below is writable and dirty; the tested one is k+1 */
            pt_test[k] = FRAME(k) | URW | PG_A | PG_D;
            pt_test[k + 1] = FRAME(k + 1) | c->pte;
            pte_index = (uint32_t)k + 1;
            lin = LIN4K(k) + 0xffe;
        }
    }
    uint32_t cr0 = read_cr0() & ~CR0_WP;
    write_cr0(cr0 | (c->wp ? CR0_WP : 0));
    reload_cr3();
    pf_count = 0;
    pf_err = pf_cr2 = 0;
    uint32_t val = 0xc0de0000u | (uint32_t)k;
    uint32_t got = c->ring ? uaccess(lin, c->kind, val) : kaccess(lin, c->kind, val);
    uint32_t pde = pd[pde_index], pte = c->large ? 0 : pt_test[pte_index];
    write_cr0(cr0);

    begin_line(c->name);
    puts_serial(" exp=");
    puts_serial(c->exp);
    if (pf_count) {
        puts_serial(" fault err=");
        put_hex(pf_err, 1);
        puts_serial(" cr2=");
        put_hex(pf_cr2, 8);
    } else {
        puts_serial(" ok");
    }
    puts_serial(" ");
    print_bits("pde", pde, 1);
    puts_serial(" ");
    print_bits("pte", pte, !c->large);
    if (c->kind == READ && !pf_count) {
        puts_serial(" val=");
        put_hex(got, 8);
    }
    if (c->crossing) {
        /* a faulting crossing write must leave the first page alone */
        puts_serial(" low=");
        put_hex(*(volatile uint32_t *)(FRAME(k) + 0xffc), 8);
    }
    puts_serial("\n");
}

/* ---- TLB behaviour (what the SDM allows a TLB to keep) ---- */

static void print_kv(const char *key, uint32_t v)
{
    puts_serial(" ");
    puts_serial(key);
    puts_serial("=");
    put_hex(v, 8);
}

/* A PTE change is invisible until INVLPG (the old entry stays cached). */
static void tlb_stale_until_invlpg(int k)
{
    fill_frame(k);
    fill_frame(k + 1);
    pd[2] = (uint32_t)pt_test | URW;
    pt_test[k] = FRAME(k) | URW;
    reload_cr3();
    uint32_t lin = LIN4K(k) + OFF;
    uint32_t before = kaccess(lin, READ, 0);
    pt_test[k] = FRAME(k + 1) | URW;
    uint32_t stale = kaccess(lin, READ, 0);
    invlpg(lin);
    uint32_t after = kaccess(lin, READ, 0);
    begin_line("tlb-pte-change-needs-invlpg");
    puts_serial(" exp=stale");
    print_kv("before", before);
    print_kv("stale", stale);
    print_kv("after", after);
    puts_serial("\n");
}

/* Global entries survive a CR3 load with CR4.PGE=1; clearing PGE flushes. */
static void tlb_global_survives_cr3(int k)
{
    fill_frame(k);
    fill_frame(k + 1);
    pd[2] = (uint32_t)pt_test | URW;
    pt_test[k] = FRAME(k) | URW | PG_G;
    write_cr4(read_cr4() | CR4_PGE);
    reload_cr3();
    uint32_t lin = LIN4K(k) + OFF;
    uint32_t before = kaccess(lin, READ, 0);
    pt_test[k] = FRAME(k + 1) | URW | PG_G;
    reload_cr3();
    uint32_t kept = kaccess(lin, READ, 0);
    write_cr4(read_cr4() & ~CR4_PGE);
    uint32_t after = kaccess(lin, READ, 0);
    begin_line("tlb-global-survives-cr3-load");
    puts_serial(" exp=stale");
    print_kv("before", before);
    print_kv("kept", kept);
    print_kv("after", after);
    puts_serial("\n");
}

/* D is set by the first write through an entry a read filled. */
static void tlb_dirty_on_first_write(int k)
{
    fill_frame(k);
    pd[2] = (uint32_t)pt_test | URW;
    pt_test[k] = FRAME(k) | URW;
    reload_cr3();
    uint32_t lin = LIN4K(k) + OFF;
    kaccess(lin, READ, 0);
    uint32_t after_read = pt_test[k];
    kaccess(lin, WRITE, 1);
    uint32_t after_write = pt_test[k];
    begin_line("tlb-dirty-on-first-write");
    puts_serial(" exp=A-,AD ");
    print_bits("read", after_read, 1);
    puts_serial(" ");
    print_bits("write", after_write, 1);
    puts_serial("\n");
}

/* INVLPG anywhere in a 4 MiB page drops the whole page. */
static void tlb_invlpg_4m(int k)
{
    fill_frame(k);
    fill_frame(k + 1);
    pd[3] = 0 | PG_PS | URW;
    reload_cr3();
    uint32_t a = LIN4M(k) + OFF, b = LIN4M(k + 1) + OFF;
    uint32_t a0 = kaccess(a, READ, 0), b0 = kaccess(b, READ, 0);
    /* move the 4 MiB page to phys 4 MiB, where the probe wrote nothing:
     * the frames there hold zeros, never the markers */
    pd[3] = 0x00400000u | PG_PS | URW;
    uint32_t a_stale = kaccess(a, READ, 0);
    invlpg(0x00c00000u + 0x123000u);   /* another page of the same 4 MiB page */
    uint32_t a_new = kaccess(a, READ, 0), b_new = kaccess(b, READ, 0);
    begin_line("tlb-invlpg-inside-4m-page");
    puts_serial(" exp=stale,new");
    print_kv("a", a0);
    print_kv("b", b0);
    print_kv("a_stale", a_stale);
    puts_serial(" a_new_differs=");
    put_dec(a_new != a0);
    puts_serial(" b_new_differs=");
    put_dec(b_new != b0);
    puts_serial("\n");
}

/* A fault drops the stale entry: afterwards the not-present page faults. */
static void tlb_fault_drops_entry(int k)
{
    fill_frame(k);
    pd[2] = (uint32_t)pt_test | URW;
    pt_test[k] = FRAME(k) | URW;
    reload_cr3();
    uint32_t lin = LIN4K(k) + OFF;
    kaccess(lin, READ, 0);
    pt_test[k] = 0;
    pf_count = 0;
    kaccess(lin, READ, 0);
    uint32_t stale_faults = pf_count;
    kaccess(lin, WRITE, 5);
    uint32_t write_faults = pf_count - stale_faults, write_err = pf_err;
    kaccess(lin, READ, 0);
    uint32_t read_faults = pf_count - stale_faults - write_faults, read_err = pf_err;
    begin_line("tlb-fault-drops-stale-entry");
    puts_serial(" exp=0,1:2,1:0 stale_read_faults=");
    put_dec(stale_faults);
    puts_serial(" write_faults=");
    put_dec(write_faults);
    puts_serial(":");
    put_hex(write_err, 1);
    puts_serial(" read_faults=");
    put_dec(read_faults);
    puts_serial(":");
    put_hex(read_err, 1);
    puts_serial("\n");
}

void probe_main(uint32_t magic, uint32_t mbi)
{
    (void)mbi;
    serial_init();
    if (magic != 0x2badb002) {
        puts_serial("FAIL not started by a multiboot loader\n");
        exit_qemu(0x7e);
    }
    tables_init();
    paging_init();
    puts_serial("paging-probe v1\n");
    int k = 0;
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++, k += 2)
        run_case(&cases[i], k % 240);
    tlb_stale_until_invlpg(240);
    tlb_global_survives_cr3(242);
    tlb_dirty_on_first_write(244);
    tlb_invlpg_4m(246);
    tlb_fault_drops_entry(248);
    puts_serial("done cases=");
    put_dec((uint32_t)line_no);
    puts_serial("\n");
    exit_qemu(0);
}
