/* SPDX-License-Identifier: BSD-2-Clause */
/* Logging to stderr (foreground) or syslog, shared by both threads. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* The only mutable globals besides the daemon context: set once at start-up. */
static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_stderr = true;
static const char *log_ident = "tpmproxyd";

static const char *const log_names[] = { "error", "warning", "info", "debug" };

/* Turn a --log-level name into a level; -EINVAL if unknown. */
int
log_level_parse(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(name, "warn") == 0) {
		*level = LOG_LEVEL_WARNING;
		return 0;
	}
	return -EINVAL;
}

/* Set the level and destination; called before any thread starts. */
void
log_init(enum log_level level, bool to_stderr)
{
	log_max = level;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Name the program in log lines (before log_init): tpmproxy-bridge shares
 * this module. */
void
log_set_ident(const char *ident)
{
	log_ident = ident;
}

/* Switch to syslog once the daemon has detached from its terminal. */
void
log_to_syslog(void)
{
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_stderr = false;
}

/* Whether a message at this level would be written. */
bool
log_enabled(enum log_level level)
{
	return level <= log_max;
}

/* Format one line and send it to the chosen destination. */
static void
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[1024];
	int n;

	if (!log_enabled(level))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n >= 0 && errnum != 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));
	if (log_stderr) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		/* One fprintf per line: stdio locks the stream, so lines from
		 * the two threads never interleave. */
		fprintf(stderr, "%s.%03ld %s %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_ident, log_names[level], msg);
	} else {
		syslog(prio[level], "%s", msg);
	}
}

#define LOG_FN(name, level, with_errno)                                   \
	void name(const char *fmt, ...)                                   \
	{                                                                 \
		int saved = errno;                                        \
		va_list ap;                                               \
		va_start(ap, fmt);                                        \
		log_vwrite(level, with_errno ? saved : 0, fmt, ap);       \
		va_end(ap);                                               \
		errno = saved;                                            \
	}

/* Debug, info, warnings and errors; only log_warn appends errno. */
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_warn, LOG_LEVEL_WARNING, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARNING, 0)
LOG_FN(log_error, LOG_LEVEL_ERROR, 0)

/* Report a start-up failure or broken invariant, with errno, and exit 1. */
void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Report a start-up failure or broken invariant and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
