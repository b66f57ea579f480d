/*
 * A minimal vsnprintf: %d %i %u %x %X %o %c %s %p %%, flags '-' '0' ' ',
 * width, precision (strings), length modifiers l, ll, z, h.
 */
#include <linux/kernel.h>
#include <linux/string.h>

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, unsigned long long v, int base, bool neg, bool upper,
		    int width, bool left, char pad, bool space)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0, sign = neg || space;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (pad == '0' && sign)
		put(o, neg ? '-' : ' ');
	if (!left)
		for (int i = n + sign; i < width; i++)
			put(o, pad);
	if (pad != '0' && sign)
		put(o, neg ? '-' : ' ');
	while (n)
		put(o, tmp[--n]);
	(void)left;	/* left justification pads after, in vsnprintf() */
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool left = false, space = false;
		char pad = ' ';
		int width = 0, prec = -1, lng = 0;
		size_t start;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else if (*fmt == ' ')
				space = true;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
			if (*fmt == 'l')
				lng++;
			fmt++;
		}
		if (left)
			pad = ' ';
		start = o.len;
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, long);
			put_num(&o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10, v < 0,
				false, left ? 0 : width, left, pad, space);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long);
			int base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
			put_num(&o, v, base, false, *fmt == 'X', left ? 0 : width, left, pad, false);
			break;
		}
		case 'p':
			put_num(&o, (unsigned long)va_arg(ap, void *), 16, false, false, 8, false, '0', false);
			break;
		case 'c':
			if (!left)
				for (int i = 1; i < width; i++)
					put(&o, ' ');
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n;

			if (!s)
				s = "(null)";
			n = strnlen(s, prec < 0 ? 0x7fffffff : prec);
			if (!left)
				for (int i = n; i < width; i++)
					put(&o, ' ');
			for (int i = 0; i < n; i++)
				put(&o, s[i]);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
		if (left)
			while ((int)(o.len - start) < width)
				put(&o, ' ');
		if (!*fmt)
			break;
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

unsigned long simple_strtoul(const char *cp, char **endp, unsigned int base)
{
	unsigned long v = 0;

	if (!base) {
		base = 10;
		if (cp[0] == '0' && (cp[1] == 'x' || cp[1] == 'X')) {
			base = 16;
			cp += 2;
		}
	}
	for (;; cp++) {
		unsigned int d;
		if (*cp >= '0' && *cp <= '9')
			d = *cp - '0';
		else if (*cp >= 'a' && *cp <= 'f')
			d = *cp - 'a' + 10;
		else if (*cp >= 'A' && *cp <= 'F')
			d = *cp - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		v = v * base + d;
	}
	if (endp)
		*endp = (char *)cp;
	return v;
}

/* Integer square root by Newton's bit method (lib/math/int_sqrt.c idea). */
unsigned long int_sqrt(unsigned long x)
{
	unsigned long b, m, y = 0;

	if (x <= 1)
		return x;
	m = 1UL << ((fls(x) - 1) & ~1UL);
	while (m) {
		b = y + m;
		y >>= 1;
		if (x >= b) {
			x -= b;
			y += m;
		}
		m >>= 2;
	}
	return y;
}
