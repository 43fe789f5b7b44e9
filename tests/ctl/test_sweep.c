// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The stream sweep: what it removes (idle, closed past the linger,
 * orphaned) and what it keeps and counts; the counts it corrects, logged
 * without flooding. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "weir/counts.h"
#include "ctl/log.h"
#include "tests.h"

static struct ctl_service *web(struct scene *s)
{
	scene_apply_ok(s, WEB_DOC);
	return state_find_service(&s->c, "web");
}

static void idle_expiry(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc = web(s);
	uint32_t b0 = svc->backends[0].id;

	scene_add_stream(s, svc, 1000, b0, 3 * SEC, 0); /* idle past 2 s */
	scene_add_stream(s, svc, 1001, b0, 1 * SEC, 0);
	scene_add_stream(s, svc, 1002, b0, 0, 0);
	scene_sweep(s);
	assert_false(scene_has_stream(s, svc, 1000));
	assert_true(scene_has_stream(s, svc, 1001));
	assert_true(scene_has_stream(s, svc, 1002));
	assert_int_equal(svc->active_streams, 2);
	assert_int_equal(svc->backends[0].active_streams, 2);
	assert_int_equal(s->c.total_streams, 3);
}

/* A FIN leaves the entry for 10 s so the last ACKs reach the backend;
 * it is counted as closing, not active, and goes after the linger. */
static void closing_linger(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc = web(s);
	uint32_t b1 = svc->backends[1].id;

	scene_add_stream(s, svc, 2000, b1, 1 * SEC, WEIR_STATE_CLOSING);
	scene_add_stream(s, svc, 2001, b1, WEIR_CLOSING_TIMEOUT_NS + SEC, WEIR_STATE_CLOSING);
	scene_sweep(s);
	assert_true(scene_has_stream(s, svc, 2000));
	assert_false(scene_has_stream(s, svc, 2001));
	assert_int_equal(svc->active_streams, 0);
	assert_int_equal(s->c.closing_streams, 1);
}

/* Streams of a backend that was deleted, or of a service id nobody has,
 * are removed whatever their age. */
static void orphan_removal(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc = web(s);
	struct ctl_service ghost = *svc;

	scene_add_stream(s, svc, 3000, svc->backends[0].id, 0, 0);
	scene_add_stream(s, svc, 3001, 4000, 0, 0); /* no such backend */
	ghost.id = 200;
	scene_add_stream(s, &ghost, 3002, svc->backends[0].id, 0, 0);
	scene_sweep(s);
	assert_true(scene_has_stream(s, svc, 3000));
	assert_false(scene_has_stream(s, svc, 3001));
	assert_int_equal(scene_stream_count(s), 1);
}

/* A pass in steps keeps its place between ticks and counts every entry
 * once. */
static void pass_in_steps(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc = web(s);
	int i, steps = 0, ret = 0;

	for (i = 0; i < 10000; i++)
		scene_add_stream(s, svc, 10000 + i, svc->backends[i % 2].id, 0, 0);
	while (ret == 0 && steps < 100000) {
		ret = dp_sweep_step(&s->c, ctl_now_ns(), 1); /* one batch a step */
		steps++;
	}
	assert_int_equal(ret, 1);
	assert_true(steps > 1);
	assert_int_equal(svc->active_streams, 10000);
	assert_int_equal(svc->backends[0].active_streams, 5000);
}

/* An entry gone without the data plane's accounting (an LRU eviction of a
 * full table) leaves its place counted: the next pass finds the class
 * counts one stream too many and gives the place back. */
static void eviction_reconciled(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc = web(s);
	struct loader_mmaps *mm = &s->c.loader.mm;
	struct weir_stream_key key = { .src = { 198, 19, 0, 1 },
				       .sport = htons(7001),
				       .dport = htons(80),
				       .proto = IPPROTO_TCP,
				       .family = WEIR_AF_INET };
	int i;

	for (i = 0; i < 3; i++)
		scene_add_stream(s, svc, 7000 + i, svc->backends[0].id, 0, WEIR_STATE_ACTIVE);
	assert_int_equal(mm->class_counts[svc->default_class].active, 3);
	memcpy(key.dst, svc->cfg.vip.bytes, 4);
	assert_int_equal(bpf_map_delete_elem(s->c.loader.maps.streams, &key), 0);
	scene_sweep(s);
	assert_int_equal(mm->class_counts[svc->default_class].active, 2);
	assert_int_equal(mm->service_counts[svc->id].streams, 2);
	assert_int_equal(s->c.reconciled, 1);
	scene_sweep(s); /* nothing more to correct */
	assert_int_equal(mm->class_counts[svc->default_class].active, 2);
	assert_int_equal(s->c.reconciled, 1);
}

/* What fn(s) writes to stderr (up to len - 1 bytes). */
static void stderr_of(struct scene *s, void (*fn)(struct scene *), char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn(s);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static int occurrences(const char *text, const char *needle)
{
	int n = 0;

	for (text = strstr(text, needle); text; text = strstr(text + 1, needle))
		n++;
	return n;
}

/* Streams of 12 classes lost at once: a pass corrects all 12 and names 8
 * of them, the rest in one line, so a table that lost streams of
 * thousands of classes does not flood the log. */
static void reconciled_log_capped(void **state)
{
	struct scene *s = *state;
	struct loader_mmaps *mm = &s->c.loader.mm;
	char doc[2048] = WEB_DOC "    classes:\n", log[8192];
	struct ctl_service *svc;
	size_t i;

	for (i = 1; i <= 12; i++)
		snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc),
			 "      - {name: c%zu, match: \"dscp:%zu\", min: %zumbit, max: 100mbit}\n",
			 i, i, i);
	scene_apply_ok(s, doc);
	svc = state_find_service(&s->c, "web");
	assert_true(svc->n_classes >= 12);
	for (i = 0; i < svc->n_classes; i++) {
		const struct ctl_class *cl = &svc->classes[i];

		weir_count(&mm->service_counts[svc->id], &mm->class_counts[cl->id],
			   mm->classes[cl->id].min_bps, 1);
	}
	log_set_level(LOG_INFO);
	stderr_of(s, scene_sweep, log, sizeof(log));
	log_set_level(LOG_WARN); /* main.c's */
	assert_int_equal(occurrences(log, "its count was high by 1 "), 8);
	assert_int_equal(occurrences(log, "more classes' counts corrected"), 1);
	assert_non_null(strstr(log, " 5 more classes' counts corrected, by 5 places in all"));
	assert_int_equal(s->c.reconciled, svc->n_classes);
	for (i = 0; i < svc->n_classes; i++)
		assert_int_equal(mm->class_counts[svc->classes[i].id].active, 0);
}

static const struct CMUnitTest tests[] = {
	ctl_test(idle_expiry),	 ctl_test(closing_linger),	ctl_test(orphan_removal),
	ctl_test(pass_in_steps), ctl_test(eviction_reconciled), ctl_test(reconciled_log_capped),
};

const struct test_group sweep_group = { "sweep", tests, ARRAY_SIZE(tests) };
