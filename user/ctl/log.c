// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "ctl/log.h"

static enum log_level current = LOG_INFO;

/* Library messages held back while an attach is tried: libxdp probes its
 * dispatcher and falls back on kernels that refuse it, and libbpf warns
 * loudly about the probe. They are shown only if the attach fails. */
static struct {
	bool on;
	size_t len;
	char buf[16384];
} held;

void log_set_level(enum log_level level)
{
	current = level;
}

static void log_vprint(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const tags[] = { "warn", "info", "debug" };
	struct timespec ts;
	struct tm tm;

	if (level > current)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld weir %s: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, tags[level]);
	vfprintf(stderr, fmt, ap);
}

void log_print(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(level, fmt, ap);
	va_end(ap);
}

static bool hold(const char *fmt, va_list ap)
{
	int n;

	if (!held.on)
		return false;
	n = vsnprintf(held.buf + held.len, sizeof(held.buf) - held.len, fmt, ap);
	if (n > 0)
		held.len = held.len + n < sizeof(held.buf) ? held.len + n : sizeof(held.buf) - 1;
	return true;
}

void log_hold_libraries(void)
{
	held.on = true;
	held.len = 0;
	held.buf[0] = '\0';
}

void log_release_libraries(bool show)
{
	held.on = false;
	if (held.len)
		log_print(show ? LOG_WARN : LOG_DEBUG, "library messages:\n%s", held.buf);
	held.len = 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_DEBUG && hold(fmt, ap))
		return 0;
	/* libbpf's warnings are ours too; its info and debug are noise unless
	 * asked for with -v. */
	log_vprint(level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBXDP_DEBUG && hold(fmt, ap))
		return 0;
	log_vprint(level == LIBXDP_WARN ? LOG_WARN : LOG_DEBUG, fmt, ap);
	return 0;
}

void log_route_libraries(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
