// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: the control socket's handler, api_dispatch(), with a real
 * controller state over real BPF maps: loader_start() without an
 * interface, as tests/ctl does, once per process (needs root). No program
 * is attached, no socket is opened, and nothing runs the update loop, so no
 * health check, probe, neighbour lookup or scale hook touches the network
 * or starts a process.
 *
 * The input is up to MAX_REQUESTS requests, one a line, as the socket
 * frames them; each runs in turn (jobs are stepped to their reply) and the
 * state goes back to empty after the last. Checked after each request:
 *  - the reply is strict JSON (json-c's strict mode, strict UTF-8, nothing
 *    after it): an object whose "ok" is a boolean, with a non-empty "error"
 *    string when false;
 *  - a refused request left the desired state as it was (the dump is the
 *    same text);
 *  - the desired state dumps to a document that config_parse() reads back
 *    to the same values and the same dump, and that config_check() accepts
 *    (`weir config dump` then `weir config load` gives the same state).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl/ctl.h"
#include "ctl/log.h"
#include "common/same_config.h"

#define MAX_REQUESTS 8
#define JOB_STEPS 100
#define JOB_SLICE_NS 5000000ULL
#define STREAM_TABLE 1024

static struct ctl ctl;
static struct weir_config top;

static void fail(const char *what, const char *request, const char *detail)
{
	fprintf(stderr, "fuzz_api: %s\n--- request: %s\n--- %s\n", what, request,
		detail ? detail : "");
	abort();
}

/* The maps stay alive through the loader's descriptors: with the pins
 * removed at once, nothing is left in bpffs however the process ends. */
static void unpin(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char pin_dir[64];
	int err;

	(void)argc;
	(void)argv;
	if (geteuid() != 0) {
		fprintf(stderr, "fuzz_api: needs root to create BPF maps\n");
		exit(1);
	}
	log_set_level(LOG_WARN);
	config_init(&top);
	top.stream_table_size = STREAM_TABLE;
	ctl.top = top;
	ctl.listen_fd = -1;
	ctl.socket_path = "/nonexistent/weir-fuzz.sock";
	ctl.started_ns = ctl_now_ns();
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/weir-fuzz-%d", (int)getpid());
	err = loader_start(&ctl.loader, pin_dir, &top);
	unpin(pin_dir);
	if (err) {
		fprintf(stderr, "fuzz_api: loader_start on %s: %s\n", pin_dir, strerror(-err));
		exit(1);
	}
	return 0;
}

/* The desired state as `weir config dump` prints it; that text must load
 * back: parse to the same values, pass config_check(), dump the same. */
static char *dump(const char *request)
{
	char err[WEIR_ERR_MAX];
	struct weir_config cfg, again;
	char *text = NULL, *text2 = NULL;
	const char *field;

	if (state_export(&ctl, &cfg) || config_emit(&cfg, &text))
		fail("state_export or config_emit failed", request, NULL);
	if (config_parse(text, strlen(text), &again, err, sizeof(err)))
		fail("the dump does not parse", request, err);
	field = same_config(&cfg, &again);
	if (field)
		fail("the dump, parsed, has another value", request, field);
	if (config_check(&again, err, sizeof(err)))
		fail("the dump does not pass config_check", request, err);
	if (config_emit(&again, &text2) || strcmp(text, text2))
		fail("the dump, parsed, dumps other text", request, text2);
	free(text2);
	config_free(&again);
	config_free(&cfg);
	return text;
}

/* Strict UTF-8 (json-c's own check lets overlong forms and surrogates
 * through): every sequence complete and minimal, no surrogate, at most
 * U+10FFFF. */
static bool strict_utf8(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		unsigned int cp, more, i;

		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0)
			cp = *s & 0x1f, more = 1;
		else if ((*s & 0xf0) == 0xe0)
			cp = *s & 0x0f, more = 2;
		else if ((*s & 0xf8) == 0xf0)
			cp = *s & 0x07, more = 3;
		else
			return false;
		for (i = 1; i <= more; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < (more == 1   ? 0x80U
			  : more == 2 ? 0x800U
				      : 0x10000U) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		s += more + 1;
	}
	return true;
}

static bool reply_ok(const char *request, const char *reply)
{
	json_tokener *tok = json_tokener_new();
	size_t len = strlen(reply);
	json_object *o, *ok, *error;
	bool ret;

	if (!tok)
		fail("out of memory", request, NULL);
	if (!strict_utf8(reply))
		fail("the reply is not UTF-8", request, reply);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, reply, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)
		fail("the reply is not valid JSON", request, reply);
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean))
		fail("the reply has no \"ok\" boolean", request, reply);
	ret = json_object_get_boolean(ok);
	if (!ret &&
	    (!json_object_object_get_ex(o, "error", &error) ||
	     !json_object_is_type(error, json_type_string) || !json_object_get_string_len(error)))
		fail("a refusal without an \"error\" string", request, reply);
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

static char *run_job(struct api_job *job)
{
	char *reply = NULL;
	int i;

	for (i = 0; i < JOB_STEPS && !reply; i++)
		reply = api_job_step(&ctl, job, ctl_now_ns() + JOB_SLICE_NS);
	if (!reply)
		api_job_free(job); /* with no stream in the table every job ends at once */
	return reply;
}

static void one_request(const char *request, size_t len)
{
	char *text = strndup(request, len); /* for messages; the request may hold NULs */
	char *before = dump(text), *after, *reply;
	struct api_job *job = NULL;

	reply = api_dispatch(&ctl, request, len, &job);
	if (!reply && !job)
		fail("neither a reply nor a job", text, NULL);
	if (!reply)
		reply = run_job(job);
	if (!reply)
		fail("a job that never replied", text, NULL);
	after = dump(text);
	if (!reply_ok(text, reply) && strcmp(before, after))
		fail("a refused request changed the state", text, after);
	free(reply);
	free(before);
	free(after);
	free(text);
}

/* Back to an empty controller: grants given back, services removed, a
 * sweep pass so that released ids are free again. */
static void reset(void)
{
	char err[WEIR_ERR_MAX];
	struct weir_config empty;
	size_t i;

	for (i = 0; ctl.grants && i < WEIR_MAX_GRANTS; i++)
		if (ctl.grants[i].used)
			grants_cancel(&ctl, &ctl.grants[i]);
	config_init(&empty);
	empty.stream_table_size = STREAM_TABLE;
	if (state_apply(&ctl, &empty, err, sizeof(err)))
		fail("removing every service failed", "(reset)", err);
	ctl.top = top;
	ctl.stop = ctl.teardown = false;
	if (dp_sweep_step(&ctl, ctl_now_ns(), UINT64_MAX) != 1)
		fail("the sweep pass failed", "(reset)", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	int n = 0;

	while (p < end && n < MAX_REQUESTS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len) {
			one_request(p, len);
			n++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	reset();
	return 0;
}
