/*
 * The COM1 shell: a line editor (arrows, Home/End, Ctrl-A/E/U/W/C,
 * history), a command table, and the scripted mode: "run=" on the kernel
 * command line takes the rest of the line as commands separated by commas.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/serial.h>
#include <asm/io.h>
#include <asm/x86.h>

#define LINE_MAX 256
#define HIST_MAX 16

void shell_run_line(char *line);
void guestinfo_refresh(void);

static char history[HIST_MAX][LINE_MAX];
static int hist_count;

static int getc_blocking(void)
{
	int c;

	while ((c = serial_getc()) < 0)
		halt();			/* IRQ4 or the timer wakes us */
	return c;
}

static void redraw(const char *buf, int len, int cur, int old_len)
{
	printk("\rpagoda# %s", buf);
	for (int i = len; i < old_len; i++)
		printk(" ");
	for (int i = len; i < old_len; i++)
		printk("\b");
	for (int i = cur; i < len; i++)
		printk("\b");
}

static int read_line(char *buf)
{
	int len = 0, cur = 0, hist = hist_count;

	buf[0] = 0;
	printk("pagoda# ");
	for (;;) {
		int c = getc_blocking(), old = len;

		if (c == '\r' || c == '\n') {
			printk("\n");
			return len;
		} else if (c == 3) {		/* Ctrl-C */
			printk("^C\n");
			buf[0] = 0;
			return 0;
		} else if ((c == 0x7f || c == 8) && cur == len && len > 0) {
			buf[--len] = 0;		/* the common case: erase at the end */
			cur--;
			printk("\b \b");
			continue;
		} else if (c == 0x7f || c == 8) {
			if (cur > 0) {
				memmove(buf + cur - 1, buf + cur, len - cur + 1);
				cur--, len--;
			}
		} else if (c == 1) {
			cur = 0;
		} else if (c == 5) {
			cur = len;
		} else if (c == 21) {		/* Ctrl-U: kill to start */
			memmove(buf, buf + cur, len - cur + 1);
			len -= cur;
			cur = 0;
		} else if (c == 23) {		/* Ctrl-W: kill previous word */
			int s = cur;
			while (s > 0 && buf[s - 1] == ' ')
				s--;
			while (s > 0 && buf[s - 1] != ' ')
				s--;
			memmove(buf + s, buf + cur, len - cur + 1);
			len -= cur - s;
			cur = s;
		} else if (c == 27) {
			int c2 = getc_blocking(), c3 = c2 == '[' ? getc_blocking() : 0;

			if (c3 == 'D' && cur > 0)
				cur--;
			else if (c3 == 'C' && cur < len)
				cur++;
			else if (c3 == 'H')
				cur = 0;
			else if (c3 == 'F')
				cur = len;
			else if (c3 >= '0' && c3 <= '9') {
				/* VT "ESC [ n ~" keys: 3 is Delete (under the cursor); Home, End,
				 * Insert, PgUp/PgDn and F5+ are swallowed, never typed as '~'. */
				int n = c3 - '0', c4;

				while ((c4 = getc_blocking()) >= '0' && c4 <= '9')
					n = n * 10 + c4 - '0';
				if (c4 == '~' && n == 3 && cur < len) {
					memmove(buf + cur, buf + cur + 1, len - cur);
					len--;
				} else if (c4 == '~' && (n == 1 || n == 7)) {
					cur = 0;
				} else if (c4 == '~' && (n == 4 || n == 8)) {
					cur = len;
				}
			}
			else if ((c3 == 'A' && hist > 0 && hist > hist_count - HIST_MAX) || (c3 == 'B' && hist < hist_count)) {
				hist += c3 == 'A' ? -1 : 1;
				if (hist < hist_count)
					strlcpy(buf, history[hist % HIST_MAX], LINE_MAX);
				else
					buf[0] = 0;
				len = cur = strlen(buf);
			}
		} else if (c >= 32 && c < 127 && len < LINE_MAX - 1 && cur == len) {
			buf[len++] = c;		/* the common case: type at the end */
			buf[len] = 0;
			cur++;
			printk("%c", c);
			continue;
		} else if (c >= 32 && c < 127 && len < LINE_MAX - 1) {
			memmove(buf + cur + 1, buf + cur, len - cur + 1);
			buf[cur++] = c;
			len++;
		}
		redraw(buf, len, cur, old);
	}
}

/*
 * A script is all or nothing: running the part that fitted and then waiting
 * in the shell would leave a test harness hanging until its timeout, so a
 * script that was cut, or a command too long for a line, powers off with a
 * failure status before any command runs.
 */
static void run_script_check(const char *script, bool truncated)
{
	const char *p = script;

	if (truncated) {
		printk("run=: the kernel command line is longer than %d bytes and the script was cut; "
		       "not running it\n", COMMAND_LINE_SIZE - 1);
		machine_power_off_status(1);
	}
	while (*p) {
		int n = 0;
		while (p[n] && p[n] != ',')
			n++;
		if (n >= LINE_MAX) {
			printk("run=: a command of %d bytes is longer than the shell's %d-byte line: '%.40s...'; "
			       "not running the script\n", n, LINE_MAX - 1, p);
			machine_power_off_status(1);
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

void shell_main(const char *cmdline, bool script_cut)
{
	char line[LINE_MAX];
	const char *run = strstr(cmdline, "run=");

	if (run || script_cut) {
		const char *p = run ? run + 4 : "";
		run_script_check(p, script_cut);
		while (*p) {
			int n = 0;
			while (p[n] && p[n] != ',')
				n++;
			memcpy(line, p, n);
			line[n] = 0;
			printk("pagoda# %s\n", line);
			shell_run_line(line);
			guestinfo_refresh();
			p += n;
			if (*p == ',')
				p++;
		}
	}
	printk("Type 'help' for the commands.\n");
	for (;;) {
		int len = read_line(line);
		if (len) {
			strlcpy(history[hist_count++ % HIST_MAX], line, LINE_MAX);
			shell_run_line(line);
			guestinfo_refresh();
		}
	}
}
