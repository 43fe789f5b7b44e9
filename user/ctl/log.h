/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_WARN = 0,
	LOG_INFO = 1,
	LOG_DEBUG = 2
};

void log_set_level(enum log_level level);
/* Routes libbpf's and libxdp's own messages through ours. */
void log_route_libraries(void);
/* Holds library warnings back until log_release_libraries(show). */
void log_hold_libraries(void);
void log_release_libraries(bool show);
void log_print(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...) log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, __VA_ARGS__)

#endif
