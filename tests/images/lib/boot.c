/* The multiboot command line, split into the kernel path and its words. */
#include "guest.h"

const char *boot_args(const struct multiboot_info *mbi)
{
    if (!(mbi->flags & MBI_CMDLINE) || !mbi->cmdline)
        return "";
    const char *s = (const char *)(uintptr_t)mbi->cmdline;
    while (*s && *s != ' ')
        s++;
    while (*s == ' ')
        s++;
    return s;
}

static int word_end(char c) { return c == '\0' || c == ' '; }

const char *arg_value(const char *args, const char *key)
{
    size_t l = strlen(key);
    for (const char *s = args; *s; s++) {
        if ((s == args || s[-1] == ' ') && strncmp(s, key, l) == 0 && s[l] == '=')
            return s + l + 1;
    }
    return NULL;
}

int has_word(const char *args, const char *word)
{
    size_t l = strlen(word);
    for (const char *s = args; *s; s++)
        if ((s == args || s[-1] == ' ') && strncmp(s, word, l) == 0 && word_end(s[l]))
            return 1;
    return 0;
}

unsigned long parse_ulong(const char *s)
{
    unsigned long v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            break;
        v = v * base + d;
    }
    return v;
}
