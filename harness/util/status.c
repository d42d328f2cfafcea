/* status.c: the live status line (in place on a terminal, throttled in logs). */
#include "util/status.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static bool status_shown;
static time_t status_last;

void hcf_status(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* what the command printed so far goes first: in a log that holds both
	 * streams, a status line never lands inside a result line */
	fflush(stdout);
	if (isatty(STDERR_FILENO)) {
		/* rewrite in place, cut to the terminal's usual width */
		fprintf(stderr, "\r\033[K%.*s", 118, line);
		status_shown = true;
	} else {
		/* a log (CI): one line every few seconds is progress enough */
		time_t now = time(NULL);
		if (now - status_last < 5)
			return;
		status_last = now;
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
}

void hcf_status_done(void)
{
	if (status_shown)
		fprintf(stderr, "\n");
	status_shown = false;
}

void hcf_status_clear(void)
{
	if (status_shown)
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
	status_shown = false;
}

