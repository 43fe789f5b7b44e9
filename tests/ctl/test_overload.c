// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Overload control in the controller, on real maps with synthetic time:
 * reported queues drive PIE and what it writes into weir_admission (by
 * priority, held during the burst allowance); a bad report changes
 * nothing; the breaker takes a backend out of the slot table, trickles it
 * back half-open (16:16:1) and restores it. No probe is sent: the tests
 * feed the probe outcomes themselves. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "tests.h"

#define MS 1000000ULL
#define THREE_BACKENDS "      - {addr: 198.18.0.13, mac: \"02:00:00:00:00:13\"}\n"

static const char report_doc[] = WEB_DOC "    admission: pie\n"
					 "    delay-source: report\n";

static const char breaker_doc[] = WEB_DOC THREE_BACKENDS "    admission: pie\n"
							 "    breaker-cooldown: 1s\n";

static char *request(struct scene *s, const char *text)
{
	struct api_job *job = NULL;
	char *reply = api_dispatch(&s->c, text, strlen(text), &job);

	assert_null(job);
	assert_non_null(reply);
	return reply;
}

static void report(struct scene *s, const char *addr, const char *pairs)
{
	char text[256];
	char *reply;

	snprintf(text, sizeof(text),
		 "{\"cmd\":\"backend.report\",\"args\":{\"service\":\"web\",\"addr\":\"%s\",%s}}",
		 addr, pairs);
	reply = request(s, text);
	assert_non_null(strstr(reply, "\"ok\":true"));
	free(reply);
}

static struct weir_admission admission(struct scene *s, const struct ctl_service *svc)
{
	return s->c.loader.mm.admission[svc->id];
}

/* Steps the overload loop every 30 ms from t for n steps; returns the time
 * after. */
static uint64_t run_steps(struct scene *s, uint64_t t, int n)
{
	int i;

	for (i = 0; i < n; i++, t += 30 * MS)
		overload_step(&s->c, t);
	return t;
}

static void report_drives_pie(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc;
	struct weir_admission adm;
	uint64_t t = ctl_now_ns();

	scene_apply_ok(s, report_doc);
	svc = state_find_service(&s->c, "web");
	report(s, "198.18.0.11", "\"queue\":100,\"dequeue_rate\":\"100\"");
	report(s, "198.18.0.12", "\"queue\":300,\"dequeue_rate\":100");
	t = run_steps(s, t, 1);
	/* the mean of 1 s and 3 s */
	assert_int_equal(svc->delay_ns, 2000 * MS);
	assert_int_equal(svc->delay_backends, 2);
	adm = admission(s, svc);
	assert_int_not_equal(adm.hold, 0); /* the burst allowance: p rises, nothing refused */
	t = run_steps(s, t, 40);
	adm = admission(s, svc);
	assert_int_equal(adm.hold, 0);
	assert_true(svc->pie.prob > PIE_PROB_MAX / 2);
	assert_true(adm.refuse_prob[0] > (1U << 31));
	/* linear by priority, 7 exempt */
	assert_int_equal(adm.refuse_prob[3], (uint32_t)((uint64_t)adm.refuse_prob[0] * 585 >> 10));
	assert_int_equal(adm.refuse_prob[7], 0);
	/* empty queues: p decays to 0 and nothing is refused */
	report(s, "198.18.0.11", "\"queue\":0,\"dequeue_rate\":100");
	report(s, "198.18.0.12", "\"queue\":0,\"dequeue_rate\":100");
	run_steps(s, t, 150);
	assert_int_equal(svc->delay_ns, 0);
	assert_int_equal(svc->pie.prob, 0);
	adm = admission(s, svc);
	assert_int_equal(adm.refuse_prob[0], 0);
}

/* A report with one bad pair stores none of it. */
static void bad_report_changes_nothing(void **state)
{
	static const char *const bad[] = {
		"\"queue\":-1",		"\"queue\":\"1e999\"",
		"\"streams.active\":1", "\"queue\":1,\"9lives\":2",
		"\"queue\":[1]",
	};
	struct scene *s = *state;
	struct ctl_backend *be;
	char text[256], *reply;
	size_t i;

	scene_apply_ok(s, report_doc);
	report(s, "198.18.0.11", "\"queue\":7");
	be = scene_backend(s, "web", "198.18.0.11");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text),
			 "{\"cmd\":\"backend.report\",\"args\":{\"service\":\"web\","
			 "\"addr\":\"198.18.0.11\",%s}}",
			 bad[i]);
		reply = request(s, text);
		assert_non_null(strstr(reply, "\"ok\":false"));
		free(reply);
		assert_int_equal(be->n_metrics, 1);
		assert_true(be->metrics[0].value == 7);
	}
	reply = request(s, "{\"cmd\":\"backend.report\",\"args\":{\"service\":\"web\","
			   "\"addr\":\"198.18.0.99\",\"queue\":1}}");
	assert_non_null(strstr(reply, "no such backend"));
	free(reply);
}

/* The probes are the test's: none is started. */
static void no_probes(struct scene *s)
{
	struct ctl_service *svc = state_find_service(&s->c, "web");
	size_t j;

	for (j = 0; j < svc->n_backends; j++)
		svc->backends[j].probe.next_ns = UINT64_MAX;
}

static void breaker_slots(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc;
	struct ctl_backend *be;
	uint64_t t = ctl_now_ns();
	int i;

	scene_apply_ok(s, breaker_doc);
	no_probes(s);
	svc = state_find_service(&s->c, "web");
	be = scene_backend(s, "web", "198.18.0.13");
	overload_step(&s->c, t);
	assert_int_equal(scene_slot_count(s), 3);
	for (i = 0; i < 5; i++) /* five failures in a row */
		overload_probe_done(&s->c, svc, be, false, 0, t + i * 100 * MS);
	assert_int_equal(breaker_state(&be->breaker), BREAKER_OPEN);
	assert_false(state_backend_usable(svc, be));
	assert_string_equal(state_backend_status(svc, be), "breaker-open");
	overload_step(&s->c, t + 500 * MS);
	assert_int_equal(scene_slot_count(s), 2);
	/* after the cool-down: half-open, one slot in 33 */
	overload_step(&s->c, t + 1500 * MS);
	assert_int_equal(breaker_state(&be->breaker), BREAKER_HALF_OPEN);
	assert_int_equal(scene_slot_count(s), 33);
	for (i = 0; i < 3; i++)
		overload_probe_done(&s->c, svc, be, true, 1 * MS, t + (1600 + i * 100) * MS);
	assert_int_equal(breaker_state(&be->breaker), BREAKER_CLOSED);
	overload_step(&s->c, t + 2000 * MS);
	assert_int_equal(scene_slot_count(s), 3);
	assert_int_equal(be->breaker_events[BREAKER_EV_OPENED], 1);
	assert_int_equal(be->breaker_events[BREAKER_EV_HALF_OPENED], 1);
	assert_int_equal(be->breaker_events[BREAKER_EV_CLOSED], 1);
	/* turned off: the breaker is forgotten */
	for (i = 0; i < 5; i++)
		overload_probe_done(&s->c, svc, be, false, 0, t + (3000 + i * 100) * MS);
	assert_int_equal(breaker_state(&be->breaker), BREAKER_OPEN);
	scene_apply_ok(s, WEB_DOC THREE_BACKENDS "    admission: pie\n    breaker: false\n");
	no_probes(s);
	overload_step(&s->c, t + 4000 * MS);
	assert_int_equal(scene_slot_count(s), 3);
	be = scene_backend(s, "web", "198.18.0.13");
	assert_int_equal(breaker_state(&be->breaker), BREAKER_OPEN); /* carried over */
	overload_tick(&s->c, t + 4100 * MS);
	assert_int_equal(breaker_state(&be->breaker), BREAKER_CLOSED);
}

static const struct CMUnitTest tests[] = {
	ctl_test(report_drives_pie),
	ctl_test(bad_report_changes_nothing),
	ctl_test(breaker_slots),
};

const struct test_group overload_group = { "overload", tests, ARRAY_SIZE(tests) };
