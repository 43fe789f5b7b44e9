/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by the control socket's command files (api*.c). */
#ifndef WEIR_API_H
#define WEIR_API_H

#include <json-c/json.h>

#include "ctl/ctl.h"

#define ERR_LEN 512

/* A string argument, or NULL. */
const char *api_arg(json_object *args, const char *key);
/* Writes the message into err (ERR_LEN bytes); returns -EINVAL. */
int api_error(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *arg_required(json_object *args, const char *key, char *err);
/* Runs edit() on a copy of the desired state, then applies the copy. */
int api_change(struct ctl *c, json_object *args, char *err,
	       int (*edit)(struct weir_config *cfg, json_object *args, char *err));
struct weir_service_config *find_service_arg(struct weir_config *cfg, json_object *args, char *err);
void add_str(json_object *o, const char *key, const char *v);
json_object *counters_json(json_object *o, const struct weir_counters *k);
/* The data plane's packets by reason (weir_stats), as `weir stats` shows them. */
json_object *reasons_json(struct ctl *c);

/* A command too long for one go (a walk of the stream table): the socket
 * server runs it in steps of a few milliseconds between the update loop's
 * other work, and replies when it is done. */
struct api_job {
	/* 1: done, *out is the reply's data; 0: not yet; <0: failed (err). */
	int (*step)(struct ctl *c, struct api_job *job, uint64_t deadline_ns, json_object **out,
		    char *err);
	void (*free)(struct api_job *job);
	/* It waits on the data plane (a drain): stepped as the loop comes
	 * round, without keeping it busy, until deadline_ns (0: the
	 * server's own deadline for jobs). */
	bool waiting;
	uint64_t deadline_ns;
};

#define API_JOB(name) int name(struct ctl *c, json_object *args, struct api_job **job, char *err)

#define API_CMD(name) int name(struct ctl *c, json_object *args, json_object **out, char *err)

/* A change: an edit of a copy of the desired state that api_change() runs
 * and applies. */
#define API_EDIT(name) int name(struct weir_config *cfg, json_object *args, char *err)

/* api_service.c */
API_EDIT(edit_service_add);
API_EDIT(edit_service_set);
API_EDIT(edit_service_del);
API_EDIT(edit_service_pause);
API_EDIT(edit_service_resume);
API_CMD(cmd_service_show);
API_CMD(cmd_service_list);
API_EDIT(edit_backend_add);
API_EDIT(edit_backend_del);
API_EDIT(edit_backend_pause);
API_EDIT(edit_backend_resume);
API_CMD(cmd_backend_list);
API_EDIT(edit_class_add);
API_EDIT(edit_class_del);
API_CMD(cmd_class_list);
json_object *service_json(struct ctl *c, const struct ctl_service *svc);
json_object *backend_json(struct ctl *c, const struct ctl_service *svc,
			  const struct ctl_backend *be);
json_object *classes_json(struct ctl *c, const struct ctl_service *svc);
/* Whether service.add and service.set take key as an option. */
bool api_service_option(const char *key);

/* api_expr.c */
API_CMD(cmd_expr_check);
json_object *capacity_json(const struct ctl_service *svc);
void backend_capacity_json(const struct ctl_service *svc, const struct ctl_backend *be,
			   json_object *o);

/* api_lifecycle.c */
API_JOB(job_backend_drain);

/* api_overload.c */
API_CMD(cmd_backend_report);
json_object *overload_json(const struct ctl_service *svc, const uint64_t *reasons);
void backend_overload_json(const struct ctl_service *svc, const struct ctl_backend *be,
			   json_object *o);

/* api_stream.c */
API_JOB(job_stream_list);
API_CMD(cmd_stream_request);
API_CMD(cmd_stream_release);

#endif
