// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The stream sweep: what it removes (idle, closed past the linger,
 * orphaned) and what it keeps and counts. */
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

static const struct CMUnitTest tests[] = {
	ctl_test(idle_expiry),
	ctl_test(closing_linger),
	ctl_test(orphan_removal),
	ctl_test(pass_in_steps),
};

const struct test_group sweep_group = { "sweep", tests, ARRAY_SIZE(tests) };
