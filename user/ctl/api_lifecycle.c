// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `weir backend drain SERVICE ADDR [--wait DUR]`: the backend is paused
 * (no new streams, its running ones go on), then, with --wait, the reply
 * waits until none of its streams is left or the time is up. The wait is
 * a job stepped as the loop comes round: it never holds the loop up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "weir/counts.h"
#include "ctl/api.h"
#include "ctl/ctl.h"

struct drain_job {
	struct api_job job;
	char service[WEIR_NAME_MAX];
	struct weir_addr addr;
	char addr_text[WEIR_ADDR_STRLEN];
	uint64_t started_ns, until_ns;
};

static int drain_step(struct ctl *c, struct api_job *job, uint64_t deadline_ns, json_object **out,
		      char *err)
{
	struct drain_job *j = (struct drain_job *)job;
	struct ctl_backend *be = state_find_backend(state_find_service(c, j->service), &j->addr);
	uint64_t now = ctl_now_ns(), left;
	char dur[32];

	(void)deadline_ns;
	if (!be)
		return api_error(err, "service %s: backend %s: deleted while draining", j->service,
				 j->addr_text);
	left = c->loader.mm.backend_counts ? weir_read(&c->loader.mm.backend_counts[be->id].streams)
					   : 0;
	if (left && now < j->until_ns)
		return 0;
	if (left && j->until_ns > j->started_ns)
		return api_error(
			err, "service %s: backend %s: %llu streams still running after %s",
			j->service, j->addr_text, (unsigned long long)left,
			units_format_duration(j->until_ns - j->started_ns, dur, sizeof(dur)));
	*out = json_object_new_object();
	json_object_object_add(*out, "streams", json_object_new_uint64(left));
	json_object_object_add(*out, "drained", json_object_new_boolean(!left));
	json_object_object_add(*out, "waited_ms",
			       json_object_new_uint64((now - j->started_ns) / 1000000));
	return 1;
}

static void drain_free(struct api_job *job)
{
	free(job);
}

API_JOB(job_backend_drain)
{
	const char *wait = api_arg(args, "wait"), *addr = api_arg(args, "addr");
	struct drain_job *j = calloc(1, sizeof(*j));
	uint64_t wait_ns = 0;
	int ret;

	if (!j)
		return api_error(err, "out of memory");
	if (wait && units_parse_duration(wait, &wait_ns))
		ret = api_error(err, "--wait: '%s' is not a duration (ms, s, m)", wait);
	else
		ret = api_change(c, args, err, edit_backend_pause);
	if (ret) {
		free(j);
		return ret;
	}
	/* the pause succeeded: the service and backend exist */
	snprintf(j->service, sizeof(j->service), "%s", api_arg(args, "service"));
	units_parse_addr(addr, &j->addr);
	units_format_addr(&j->addr, j->addr_text, sizeof(j->addr_text));
	j->started_ns = ctl_now_ns();
	j->until_ns = j->started_ns + wait_ns;
	j->job.step = drain_step;
	j->job.free = drain_free;
	j->job.waiting = true;
	j->job.deadline_ns = j->until_ns;
	*job = &j->job;
	return 0;
}
