// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * weir top: the controller's figures on one screen, refreshed every
 * interval. A refresh asks for `stats` (services and backends with their
 * counters) and `stream.list` (the busiest streams: the controller keeps the
 * top N by the sort key, however large the table). A rate is the change of
 * a counter between two successive readings over the time between them:
 * the first reading has none ("-"), nor has a counter that went back (a
 * service deleted and added again). A controller that does not answer is
 * asked again every interval; q, SIGINT and SIGTERM give the terminal back.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/units.h"

#define NS_PER_SEC 1000000000ULL
#define INTERVAL_DEFAULT_NS NS_PER_SEC
#define INTERVAL_MIN_NS (NS_PER_SEC / 10)
/* A stream.list of a million streams takes about a second. */
#define CALL_TIMEOUT_S 3
#define CELL_LEN 48
#define COLUMNS_MAX 14
#define GAP 2

enum backend_sort {
	SORT_SERVICE,
	SORT_STREAMS,
	SORT_NEW,
	SORT_BITS,
	SORT_WEIGHT,
	SORT_COUNT
};

/* The name the footer shows, the key sorted on (descending) and the
 * column marked, for each backend sort. */
static const struct {
	const char *name, *key;
	int column;
} backend_sorts[SORT_COUNT] = {
	{ "service", NULL, 1 },	    { "streams", "streams", 4 }, { "new/s", "top_new", 6 },
	{ "bit/s", "top_bits", 7 }, { "weight", "weight", 5 },
};

struct top {
	const struct cli *cli;
	uint64_t interval_ns;
	json_object *stats; /* the last reading, its rates added */
	uint64_t stats_ns;
	json_object *streams; /* the last stream.list answer */
	char error[160]; /* why the last call failed; empty once one answered */
	time_t answered; /* when one last answered */
	enum backend_sort backend_sort;
	const char *stream_sort; /* rate, bytes or age: the controller sorts */
	int err_fd; /* fd 2 while the screen is ours */
	int saved_stderr;
};

struct top_column {
	const char *title;
	const char *key;
	const char *(*cell)(json_object *row, const char *key, char *buf, size_t len);
	bool left; /* text; numbers are right-aligned */
};

static volatile sig_atomic_t stop_requested, call_timed_out;

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* ---- reading the replies ---- */

static json_object *field(json_object *row, const char *key)
{
	char head[32];
	const char *dot = strchr(key, '.');
	json_object *v = NULL;

	if (!dot)
		return row && json_object_object_get_ex(row, key, &v) ? v : NULL;
	snprintf(head, sizeof(head), "%.*s", (int)(dot - key), key);
	return field(field(row, head), dot + 1);
}

static double number(json_object *row, const char *key)
{
	return json_object_get_double(field(row, key));
}

static uint64_t counter(json_object *row, const char *key)
{
	return json_object_get_uint64(field(row, key));
}

static const char *text(json_object *row, const char *key)
{
	json_object *v = field(row, key);

	return v ? json_object_get_string(v) : "";
}

static json_object *section(json_object *reply, const char *key)
{
	json_object *rows = field(reply, key);

	return rows && json_object_is_type(rows, json_type_array) ? rows : NULL;
}

static size_t count_rows(json_object *reply, const char *key)
{
	json_object *rows = section(reply, key);

	return rows ? json_object_array_length(rows) : 0;
}

/* A service is its name, a backend its service and address. */
static const char *row_id(json_object *row, char *buf, size_t len)
{
	snprintf(buf, len, "%s|%s|%s", text(row, "name"), text(row, "service"), text(row, "addr"));
	return buf;
}

/* ---- rates ---- */

struct rate {
	const char *name, *counter;
	double scale;
};

static const struct rate service_rates[] = {
	{ "top_admit", "new_streams", 1 },
	{ "top_refuse", "refused", 1 },
	{ "top_bits", "bytes", 8 },
	{ 0 },
};

static const struct rate backend_rates[] = {
	{ "top_new", "new_streams", 1 },
	{ "top_bits", "bytes", 8 },
	{ "top_packets", "packets", 1 },
	{ 0 },
};

/* Per second since the previous reading; -1 where there is none. */
static void add_rate(json_object *row, json_object *before, const struct rate *r, double seconds)
{
	uint64_t now = counter(row, r->counter), then = counter(before, r->counter);
	double value = -1;

	if (before && seconds > 0 && now >= then)
		value = (double)(now - then) * r->scale / seconds;
	json_object_object_add(row, r->name, json_object_new_double(value));
}

/* The rows of a reading by their id, to find each row's previous one. */
static json_object *index_rows(json_object *reading, const char *key)
{
	json_object *index = json_object_new_object(), *rows = section(reading, key);
	char id[256];
	size_t i;

	for (i = 0; rows && i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);

		json_object_object_add(index, row_id(row, id, sizeof(id)), json_object_get(row));
	}
	return index;
}

static void add_rates(json_object *reading, json_object *before, const char *key,
		      const struct rate *rates, double seconds)
{
	json_object *index = index_rows(before, key), *rows = section(reading, key);
	char id[256];
	size_t i;

	for (i = 0; rows && i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i), *prev = NULL;
		const struct rate *r;

		json_object_object_get_ex(index, row_id(row, id, sizeof(id)), &prev);
		for (r = rates; r->name; r++)
			add_rate(row, prev, r, seconds);
	}
	json_object_put(index);
}

/* ---- asking the controller ---- */

/* client_call() says why it failed on stderr, which is ours while the
 * screen is: keep its last line for the status line. */
static void note_error(struct top *t)
{
	char buf[512], *line, *end;
	ssize_t n = t->err_fd >= 0 ? pread(t->err_fd, buf, sizeof(buf) - 1, 0) : -1;

	buf[n > 0 ? n : 0] = '\0';
	while ((end = strrchr(buf, '\n')) && !end[1])
		*end = '\0';
	line = strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 : buf;
	if (!strncmp(line, "weir: ", 6))
		line += 6;
	snprintf(t->error, sizeof(t->error), "%.150s", *line ? line : "no answer");
	if (t->err_fd >= 0 && !ftruncate(t->err_fd, 0))
		lseek(t->err_fd, 0, SEEK_SET);
}

/* A controller that accepts but never answers (stopped, wedged) would hold
 * client_call() in read(): an alarm interrupts it, and the call fails. */
static int call(struct top *t, const char *api, json_object *args, json_object **data)
{
	struct itimerval alarm_in = { .it_value = { .tv_sec = CALL_TIMEOUT_S } }, off = {};
	int ret;

	call_timed_out = 0;
	setitimer(ITIMER_REAL, &alarm_in, NULL);
	ret = client_call(t->cli, api, args, data);
	setitimer(ITIMER_REAL, &off, NULL);
	if (ret || !*data) {
		note_error(t);
		if (call_timed_out)
			snprintf(t->error, sizeof(t->error), "no answer within %ds",
				 CALL_TIMEOUT_S);
		json_object_put(*data);
		*data = NULL;
		return -1;
	}
	t->error[0] = '\0';
	t->answered = time(NULL);
	return 0;
}

static void fetch_streams(struct top *t)
{
	json_object *args = json_object_new_object(), *reply = NULL;
	char limit[16];

	/* No more than could show. */
	snprintf(limit, sizeof(limit), "%d", LINES > 1 ? LINES : 1);
	json_object_object_add(args, "sort", json_object_new_string(t->stream_sort));
	json_object_object_add(args, "limit", json_object_new_string(limit));
	if (!call(t, "stream.list", args, &reply)) {
		json_object_put(t->streams);
		t->streams = reply;
	}
	json_object_put(args);
}

static void fetch(struct top *t)
{
	json_object *reading = NULL;
	double seconds;
	uint64_t now;

	if (call(t, "stats", NULL, &reading))
		return;
	now = monotonic_ns();
	seconds = t->stats ? (double)(now - t->stats_ns) / NS_PER_SEC : 0;
	add_rates(reading, t->stats, "services", service_rates, seconds);
	add_rates(reading, t->stats, "backends", backend_rates, seconds);
	json_object_put(t->stats);
	t->stats = reading;
	t->stats_ns = now;
	fetch_streams(t);
}

/* ---- cells ---- */

/* 999, 1.2k, 3.4M, ... */
static const char *human(double v, char *buf, size_t len)
{
	static const char suffix[] = "kMGTPE";
	int i = -1;

	while (v >= 999.95 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, v == (double)(uint64_t)v ? "%.0f" : "%.1f", v);
	else
		snprintf(buf, len, "%.1f%c", v, suffix[i]);
	return buf;
}

static const char *cell_text(json_object *row, const char *key, char *buf, size_t len)
{
	const char *dot = strrchr(key, '.');
	char head[32];

	if (!dot)
		return out_value(row, key, buf, len);
	snprintf(head, sizeof(head), "%.*s", (int)(dot - key), key);
	return out_value(field(row, head), dot + 1, buf, len);
}

static const char *cell_count(json_object *row, const char *key, char *buf, size_t len)
{
	return field(row, key) ? human(counter(row, key), buf, len) : "-";
}

static const char *cell_rate(json_object *row, const char *key, char *buf, size_t len)
{
	return field(row, key) && number(row, key) >= 0 ? human(number(row, key), buf, len) : "-";
}

static const char *cell_vip(json_object *row, const char *key, char *buf, size_t len)
{
	const char *vip = text(row, key);

	snprintf(buf, len, strchr(vip, ':') ? "[%s]:%" PRIu64 "/%s" : "%s:%" PRIu64 "/%s", vip,
		 counter(row, "port"), text(row, "proto"));
	return buf;
}

static const char *cell_usable(json_object *row, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 "/%" PRIu64, counter(row, key), counter(row, "backends"));
	return buf;
}

/* Capacity used: admitted streams of the capacity, committed bit/s of the
 * capacity rate ("-" where there is no limit). */
static const char *cell_capacity_streams(json_object *row, const char *key, char *buf, size_t len)
{
	uint64_t total = counter(row, "capacity_streams");
	char a[CELL_LEN];

	if (!total)
		snprintf(buf, len, "%s/-", human(counter(row, key), a, sizeof(a)));
	else
		snprintf(buf, len, "%s/%" PRIu64, human(counter(row, key), a, sizeof(a)), total);
	return buf;
}

static const char *cell_capacity_rate(json_object *row, const char *key, char *buf, size_t len)
{
	uint64_t total = counter(row, "capacity_rate_bps");
	char a[CELL_LEN], b[CELL_LEN];

	if (!total)
		return "-";
	snprintf(buf, len, "%s/%s", human(counter(row, key), a, sizeof(a)),
		 human(total, b, sizeof(b)));
	return buf;
}

static const char *cell_used(json_object *row, const char *key, char *buf, size_t len)
{
	uint64_t streams = counter(row, "capacity_streams"),
		 rate = counter(row, "capacity_rate_bps");
	double used = -1;

	(void)key;
	if (streams)
		used = 100.0 * counter(row, "admitted_streams") / streams;
	if (rate && 100.0 * counter(row, "committed_bps") / rate > used)
		used = 100.0 * counter(row, "committed_bps") / rate;
	if (used < 0)
		return "-";
	snprintf(buf, len, "%.0f%%", used);
	return buf;
}

static bool pie_on(json_object *row)
{
	return !strcmp(text(row, "overload.admission"), "pie");
}

static const char *cell_pie_p(json_object *row, const char *key, char *buf, size_t len)
{
	if (!pie_on(row))
		return "-";
	snprintf(buf, len, "%.2f%%", 100 * number(row, key));
	return buf;
}

static const char *cell_ms(json_object *row, const char *key, char *buf, size_t len)
{
	if (!field(row, key) || (field(row, "overload") && !pie_on(row)))
		return "-";
	snprintf(buf, len, "%.1fms", number(row, key));
	return buf;
}

/* 42s, 3m05s, 2h07m */
static const char *cell_age(json_object *row, const char *key, char *buf, size_t len)
{
	uint64_t s = counter(row, key) / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	return buf;
}

static const struct top_column top_service_columns[] = {
	{ "SERVICE", "name", cell_text, true },
	{ "VIP", "vip", cell_vip, true },
	{ "BACKENDS", "usable", cell_usable, false },
	{ "STREAMS", "streams", cell_count, false },
	{ "ADMIT/S", "top_admit", cell_rate, false },
	{ "REFUSE/S", "top_refuse", cell_rate, false },
	{ "BIT/S", "top_bits", cell_rate, false },
	{ "CAPACITY", "admitted_streams", cell_capacity_streams, false },
	{ "COMMITTED", "committed_bps", cell_capacity_rate, false },
	{ "USED", NULL, cell_used, false },
	{ "ADMISSION", "overload.admission", cell_text, true },
	{ "PIE-P", "overload.p", cell_pie_p, false },
	{ "DELAY", "overload.delay_ms", cell_ms, false },
	{ 0 },
};

/* Columns 4-7 are the backend sorts' (backend_sorts[].column). */
static const struct top_column top_backend_columns[] = {
	{ "BACKEND", "addr", cell_text, true },
	{ "SERVICE", "service", cell_text, true },
	{ "STATUS", "status", cell_text, true },
	{ "BREAKER", "breaker", cell_text, true },
	{ "STREAMS", "streams", cell_count, false },
	{ "WEIGHT", "weight", cell_text, false },
	{ "NEW/S", "top_new", cell_rate, false },
	{ "BIT/S", "top_bits", cell_rate, false },
	{ "PKT/S", "top_packets", cell_rate, false },
	{ "PROBE", "probe_delay_ms", cell_ms, false },
	{ 0 },
};

static const struct top_column top_stream_columns[] = {
	{ "CLIENT", "client", cell_text, true },     { "SERVICE", "service", cell_text, true },
	{ "BACKEND", "backend", cell_text, true },   { "STATE", "state", cell_text, true },
	{ "ALLOC", "allocation", cell_text, false }, { "RATE", "rate_bps", cell_count, false },
	{ "BYTES", "bytes", cell_count, false },     { "AGE", "age_ms", cell_age, false },
	{ "IDLE", "idle_ms", cell_age, false },	     { 0 },
};

/* ---- drawing ---- */

struct table {
	const struct top_column *cols;
	json_object **rows;
	size_t n;
	int marked; /* the sorted column, -1: none */
};

static void put(int y, int x, int width, bool left, const char *s)
{
	char buf[256];

	if (y >= LINES - 1 || x >= COLS)
		return;
	snprintf(buf, sizeof(buf), left ? "%-*s" : "%*s", width, s);
	mvaddnstr(y, x, buf, COLS - x);
}

static void widths(const struct table *tb, int *width)
{
	char buf[CELL_LEN];
	size_t c, r;

	for (c = 0; tb->cols[c].title && c < COLUMNS_MAX; c++) {
		width[c] = strlen(tb->cols[c].title);
		for (r = 0; r < tb->n; r++) {
			int w = strlen(
				tb->cols[c].cell(tb->rows[r], tb->cols[c].key, buf, sizeof(buf)));

			width[c] = w > width[c] ? w : width[c];
		}
	}
}

static int draw_table(int y, const struct table *tb)
{
	int width[COLUMNS_MAX], x = 0;
	char buf[CELL_LEN];
	size_t c, r;

	widths(tb, width);
	for (c = 0; tb->cols[c].title && c < COLUMNS_MAX; x += width[c++] + GAP) {
		attrset((int)c == tb->marked ? A_REVERSE : A_BOLD);
		put(y, x, width[c], tb->cols[c].left, tb->cols[c].title);
	}
	attrset(A_NORMAL);
	for (r = 0; r < tb->n; r++)
		for (c = 0, x = 0; tb->cols[c].title && c < COLUMNS_MAX; x += width[c++] + GAP)
			put(y + 1 + r, x, width[c], tb->cols[c].left,
			    tb->cols[c].cell(tb->rows[r], tb->cols[c].key, buf, sizeof(buf)));
	return y + 1 + tb->n;
}

static int compare_backends(const void *a, const void *b, void *arg)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	const char *key = backend_sorts[*(const enum backend_sort *)arg].key;
	char ix[256], iy[256];

	if (key && number(x, key) != number(y, key))
		return number(x, key) < number(y, key) ? 1 : -1;
	return strcmp(row_id(x, ix, sizeof(ix)), row_id(y, iy, sizeof(iy)));
}

/* A section's rows, the backends sorted; rows is free()d by the caller. */
static struct table table_of(const struct top *t, json_object *reply, const char *key,
			     const struct top_column *cols)
{
	struct table tb = { .cols = cols, .n = count_rows(reply, key), .marked = -1 };
	size_t i;

	tb.rows = calloc(tb.n + 1, sizeof(*tb.rows));
	if (!tb.rows) {
		tb.n = 0;
		return tb;
	}
	for (i = 0; i < tb.n; i++)
		tb.rows[i] = json_object_array_get_idx(section(reply, key), i);
	if (!strcmp(key, "backends"))
		qsort_r(tb.rows, tb.n, sizeof(*tb.rows), compare_backends,
			(void *)&t->backend_sort);
	return tb;
}

static size_t fit(size_t n, long room)
{
	return room <= 0 ? 0 : n < (size_t)room ? n : (size_t)room;
}

/* Lines for rows: the services up to a third, then the backends, leaving
 * the streams a few at least. */
static void layout(const struct table *tb, size_t *shown)
{
	/* Header, status and footer; a title, column names and a blank each. */
	long room = LINES - 3 - 3 * 3;
	long streams_min = tb[2].n < 5 ? (long)tb[2].n : 5;

	shown[0] = fit(tb[0].n, room / 3 > 1 ? room / 3 : 1);
	room -= shown[0];
	shown[1] = fit(tb[1].n, room - streams_min);
	room -= shown[1];
	shown[2] = fit(tb[2].n, room);
}

static int draw_section(int y, const char *title, const struct table *tb, size_t shown)
{
	struct table part = *tb;

	part.n = shown;
	attrset(A_BOLD);
	put(y, 0, 0, true, title);
	attrset(A_NORMAL);
	return draw_table(y + 1, &part) + 1;
}

static int stream_sort_column(const char *sort)
{
	return !strcmp(sort, "bytes") ? 6 : !strcmp(sort, "age") ? 7 : 5;
}

static void draw_sections(const struct top *t)
{
	struct table tb[3] = {
		table_of(t, t->stats, "services", top_service_columns),
		table_of(t, t->stats, "backends", top_backend_columns),
		table_of(t, t->streams, "streams", top_stream_columns),
	};
	char title[3][96];
	size_t shown[3];
	int y = 2, i;

	tb[1].marked = backend_sorts[t->backend_sort].column;
	tb[2].marked = stream_sort_column(t->stream_sort);
	layout(tb, shown);
	snprintf(title[0], sizeof(title[0]), "SERVICES %zu", tb[0].n);
	snprintf(title[1], sizeof(title[1]), "BACKENDS %zu, by %s", tb[1].n,
		 backend_sorts[t->backend_sort].name);
	snprintf(title[2], sizeof(title[2]), "STREAMS by %s: %zu shown of %" PRIu64 " matching",
		 t->stream_sort, shown[2], counter(t->streams, "matched"));
	for (i = 0; i < 3; i++) {
		y = draw_section(y, title[i], &tb[i], shown[i]);
		free(tb[i].rows);
	}
}

static void draw_header(const struct top *t)
{
	char every[32], clock[16], line[256];
	time_t now = time(NULL);

	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	snprintf(line, sizeof(line), "weir top  %s  every %s  %s", t->cli->socket_path,
		 units_format_duration(t->interval_ns, every, sizeof(every)), clock);
	attrset(A_BOLD);
	put(0, 0, 0, true, line);
	attrset(A_NORMAL);
}

static void draw_status(const struct top *t)
{
	char when[16] = "never", every[32], line[320];

	if (!t->error[0])
		return;
	if (t->answered)
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&t->answered));
	snprintf(line, sizeof(line),
		 "controller not answering: %s; retrying every %s (last answer %s)", t->error,
		 units_format_duration(t->interval_ns, every, sizeof(every)), when);
	attrset(A_REVERSE);
	put(1, 0, 0, true, line);
	attrset(A_NORMAL);
}

static void draw_footer(const struct top *t)
{
	char line[160];

	snprintf(line, sizeof(line),
		 "q quit  s backends by %s (next)  r/b/a streams by rate/bytes/age (%s)",
		 backend_sorts[t->backend_sort].name, t->stream_sort);
	attrset(A_REVERSE);
	mvaddnstr(LINES - 1, 0, line, COLS);
	attrset(A_NORMAL);
}

static void draw(const struct top *t)
{
	erase();
	draw_header(t);
	draw_status(t);
	/* A failing controller's old figures would read as current. */
	if (t->stats && !t->error[0])
		draw_sections(t);
	else if (!t->error[0])
		put(2, 0, 0, true, "waiting for the controller");
	draw_footer(t);
	refresh();
}

/* ---- the loop ---- */

/* false: quit. */
static bool on_key(struct top *t, int key)
{
	const char *sort = key == 'r' ? "rate" : key == 'b' ? "bytes" : key == 'a' ? "age" : NULL;

	if (key == 'q' || key == 'Q')
		return false;
	if (key == 's')
		t->backend_sort = (t->backend_sort + 1) % SORT_COUNT;
	if (sort && strcmp(sort, t->stream_sort)) {
		t->stream_sort = sort;
		if (t->stats && !t->error[0])
			fetch_streams(t);
	}
	return true;
}

static void run_loop(struct top *t)
{
	uint64_t due = 0, now;

	while (!stop_requested) {
		now = monotonic_ns();
		if (now >= due) {
			due = now + t->interval_ns;
			fetch(t);
			now = monotonic_ns();
		}
		draw(t);
		if (stop_requested)
			break;
		/* KEY_RESIZE, a key or the next refresh: all redraw. */
		timeout(due > now ? (int)((due - now) / 1000000) + 1 : 0);
		if (!on_key(t, getch()))
			break;
	}
}

/* ---- the terminal ---- */

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_alarm(int sig)
{
	(void)sig;
	call_timed_out = 1;
}

/* Without SA_RESTART: a signal ends getch()'s wait at once, and the alarm
 * a read from a controller that does not answer. Set before curses starts,
 * so it keeps its hands off SIGINT and SIGTERM. */
static void catch_signal(int sig, void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* The client's messages would scribble over the screen: fd 2 goes to a
 * memory file until the end, read back by note_error(). */
static void stderr_capture(struct top *t)
{
	fflush(stderr);
	t->saved_stderr = dup(STDERR_FILENO);
	t->err_fd = memfd_create("weir-top-stderr", MFD_CLOEXEC);
	if (t->err_fd < 0)
		t->err_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (t->err_fd >= 0 && t->saved_stderr >= 0)
		dup2(t->err_fd, STDERR_FILENO);
}

static void stderr_restore(struct top *t)
{
	fflush(stderr);
	if (t->saved_stderr >= 0) {
		dup2(t->saved_stderr, STDERR_FILENO);
		close(t->saved_stderr);
	}
	if (t->err_fd >= 0)
		close(t->err_fd);
}

static int screen_open(struct top *t, SCREEN **screen)
{
	catch_signal(SIGINT, on_stop);
	catch_signal(SIGTERM, on_stop);
	catch_signal(SIGHUP, on_stop);
	catch_signal(SIGALRM, on_alarm);
	*screen = newterm(NULL, stdout, stdin);
	if (!*screen) {
		fprintf(stderr, "weir top: cannot use the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return -ENOTTY;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	stderr_capture(t);
	return 0;
}

static void screen_close(struct top *t, SCREEN *screen)
{
	endwin();
	delscreen(screen);
	stderr_restore(t);
}

static int top_options(struct top *t, json_object *args)
{
	json_object *v;

	if (t->cli->json) {
		fprintf(stderr, "weir top: no --json; `weir stats --json` has the same figures\n");
		return -EINVAL;
	}
	if (json_object_object_get_ex(args, "interval", &v) &&
	    (units_parse_duration(json_object_get_string(v), &t->interval_ns) ||
	     t->interval_ns < INTERVAL_MIN_NS)) {
		fprintf(stderr, "weir top: --interval: '%s' is not a duration of 100ms or more\n",
			json_object_get_string(v));
		return -EINVAL;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "weir top: needs a terminal (`weir stats --watch` does not)\n");
		return -ENOTTY;
	}
	return 0;
}

int top_local(const struct cli *cli, const struct cmd *c, json_object *args)
{
	struct top t = { .cli = cli, .interval_ns = INTERVAL_DEFAULT_NS, .stream_sort = "rate" };
	SCREEN *screen;
	int ret;

	(void)c;
	ret = top_options(&t, args);
	if (!ret)
		ret = screen_open(&t, &screen);
	if (ret)
		return ret;
	run_loop(&t);
	screen_close(&t, screen);
	json_object_put(t.stats);
	json_object_put(t.streams);
	return 0;
}

const struct cmd top_cmds[] = {
	{ "",
	  "stats",
	  { 0 },
	  { "interval" },
	  "[--interval DUR]",
	  "a full-screen view, refreshed every DUR (default 1s): services with admitted and "
	  "refused streams per second, PIE and capacity used; backends with status, breaker, "
	  "streams and rates; the busiest streams. Keys: q quits, s sorts the backends by the "
	  "next column, r/b/a the streams by rate/bytes/age",
	  NULL,
	  NULL,
	  NULL },
	{ 0 },
};
