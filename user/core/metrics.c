// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Formatting of the metrics: Prometheus' text exposition and statsD lines
 * packed into datagrams. The controller collects one struct metrics_set
 * per page or push; nothing here reads the maps or the network.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "core/metrics.h"
#include "core/units.h"

const double metrics_bucket_bounds[METRICS_BUCKETS] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
};

void metrics_histogram_observe(struct metrics_histogram *h, double value)
{
	size_t i;

	for (i = 0; i < METRICS_BUCKETS; i++)
		if (value <= metrics_bucket_bounds[i]) {
			h->buckets[i]++;
			break;
		}
	h->count++;
	h->sum += value;
}

void metrics_set_init(struct metrics_set *s, const struct metrics_family *families, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->families = families;
	s->n_families = n;
}

void metrics_set_free(struct metrics_set *s)
{
	free(s->samples);
	free(s->text.data);
	memset(s, 0, sizeof(*s));
}

static struct metrics_sample *sample_new(struct metrics_set *s, uint32_t family)
{
	struct metrics_sample *arr;
	size_t cap;

	if (s->failed || family >= s->n_families)
		goto fail;
	if (s->n_samples == s->cap_samples) {
		cap = s->cap_samples ? s->cap_samples * 2 : 256;
		arr = realloc(s->samples, cap * sizeof(*arr));
		if (!arr)
			goto fail;
		s->samples = arr;
		s->cap_samples = cap;
	}
	arr = &s->samples[s->n_samples++];
	memset(arr, 0, sizeof(*arr));
	arr->family = family;
	return arr;
fail:
	s->failed = true;
	return NULL;
}

void metrics_add(struct metrics_set *s, uint32_t family, double value, size_t n_labels,
		 const char *const *labels)
{
	struct metrics_sample *m = sample_new(s, family);
	size_t i;

	if (!m)
		return;
	m->value = value;
	for (i = 0; i < n_labels && i < METRICS_LABELS_MAX; i++) {
		m->label_names[i] = labels[2 * i];
		m->label_values[i] = s->text.len;
		emit_bytes(&s->text, labels[2 * i + 1], strlen(labels[2 * i + 1]) + 1);
	}
	m->n_labels = (uint32_t)i;
	s->failed |= s->text.failed;
}

void metrics_add_histogram(struct metrics_set *s, uint32_t family,
			   const struct metrics_histogram *h)
{
	struct metrics_sample *m = sample_new(s, family);

	if (m)
		m->histogram = h;
}

static const char *metrics_label_value(const struct metrics_set *s, const struct metrics_sample *m,
				       size_t i)
{
	return s->text.data + m->label_values[i];
}

const char *metrics_format_value(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else {
		snprintf(buf, len, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, len, "%.17g", v);
	}
	return buf;
}

void metrics_emit_escaped(struct emit_buf *b, const char *s)
{
	size_t run;

	while (*s) {
		run = strcspn(s, "\\\"\n");
		emit_bytes(b, s, run);
		s += run;
		if (!*s)
			break;
		emit(b, "\\%c", *s == '\n' ? 'n' : *s);
		s++;
	}
}

/* HELP text escapes only backslash and newline. */
static void emit_help(struct emit_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '\n')
			emit(b, "\\%c", *s == '\n' ? 'n' : '\\');
		else
			emit_bytes(b, s, 1);
	}
}

/* name{a="x",b="y",le="0.5"} value */
static void emit_sample(struct emit_buf *b, const struct metrics_set *s,
			const struct metrics_sample *m, const char *suffix, const char *le,
			double value)
{
	char num[32];
	size_t i;

	emit(b, "%s%s", s->families[m->family].name, suffix);
	for (i = 0; i < m->n_labels || (le && i == m->n_labels); i++) {
		emit(b, "%s%s=\"", i ? "," : "{", i < m->n_labels ? m->label_names[i] : "le");
		metrics_emit_escaped(b, i < m->n_labels ? metrics_label_value(s, m, i) : le);
		emit(b, "\"");
	}
	emit(b, "%s %s\n", i ? "}" : "", metrics_format_value(value, num, sizeof(num)));
}

static void emit_histogram(struct emit_buf *b, const struct metrics_set *s,
			   const struct metrics_sample *m)
{
	const struct metrics_histogram *h = m->histogram;
	uint64_t cumulative = 0;
	char le[32];
	size_t i;

	for (i = 0; i < METRICS_BUCKETS; i++) {
		cumulative += h->buckets[i];
		emit_sample(b, s, m, "_bucket",
			    metrics_format_value(metrics_bucket_bounds[i], le, sizeof(le)),
			    (double)cumulative);
	}
	emit_sample(b, s, m, "_bucket", "+Inf", (double)h->count);
	emit_sample(b, s, m, "_sum", NULL, h->sum);
	emit_sample(b, s, m, "_count", NULL, (double)h->count);
}

static const char *const type_names[] = {
	[METRICS_COUNTER] = "counter",
	[METRICS_GAUGE] = "gauge",
	[METRICS_HISTOGRAM] = "histogram",
};

void metrics_render(const struct metrics_set *s, struct emit_buf *out)
{
	const struct metrics_family *f;
	size_t i, j;

	for (i = 0; i < s->n_families; i++) {
		f = &s->families[i];
		emit(out, "# HELP %s ", f->name);
		emit_help(out, f->help);
		emit(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		/* a pass per family: samples come by object, the page by family */
		for (j = 0; j < s->n_samples; j++) {
			if (s->samples[j].family != i)
				continue;
			if (f->type == METRICS_HISTOGRAM)
				emit_histogram(out, s, &s->samples[j]);
			else
				emit_sample(out, s, &s->samples[j], "", NULL, s->samples[j].value);
		}
	}
}

/* ---- statsD ---- */

struct metrics_statsd_entry {
	char *name; /* NULL: free slot */
	double value;
};

/* What a name may hold: the rest becomes '_' (dots separate levels). */
static void emit_statsd_part(struct emit_buf *b, const char *s)
{
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			c = '_';
		emit_bytes(b, &c, 1);
	}
}

void metrics_statsd_name(const struct metrics_set *s, const struct metrics_sample *m,
			 const char *prefix, const char *suffix, struct emit_buf *out)
{
	const struct metrics_family *f = &s->families[m->family];
	const char *stem = f->name, *rest;
	size_t len, i, reason = m->n_labels;
	bool scoped = false;

	if (!strncmp(stem, "weir_", 5))
		stem += 5;
	len = strlen(stem);
	if (f->type == METRICS_COUNTER && len > 6 && !strcmp(stem + len - 6, "_total"))
		len -= 6;
	for (i = 0; i < m->n_labels; i++) {
		if (!strcmp(m->label_names[i], "reason"))
			reason = i;
		else
			scoped = true;
	}
	rest = memchr(stem, '_', len);
	emit(out, "%s", prefix);
	if (scoped && rest) {
		emit_bytes(out, stem, (size_t)(rest - stem));
		for (i = 0; i < m->n_labels; i++) {
			if (i == reason)
				continue;
			emit(out, ".");
			emit_statsd_part(out, metrics_label_value(s, m, i));
		}
		emit(out, ".");
		len -= (size_t)(rest + 1 - stem);
		stem = rest + 1;
	}
	emit_bytes(out, stem, len);
	if (reason < m->n_labels) {
		emit(out, ".");
		emit_statsd_part(out, metrics_label_value(s, m, reason));
	}
	emit(out, "%s", suffix);
}

static struct metrics_statsd_entry *slot_of(struct metrics_statsd_entry *slots, size_t cap,
					    const char *name)
{
	size_t i;

	if (!cap)
		return NULL;
	for (i = fnv1a64(name, strlen(name)) & (cap - 1); slots[i].name; i = (i + 1) & (cap - 1))
		if (!strcmp(slots[i].name, name))
			break;
	return &slots[i];
}

static void free_slots(struct metrics_statsd_entry *slots, size_t cap)
{
	size_t i;

	for (i = 0; i < cap; i++)
		free(slots[i].name);
	free(slots);
}

void metrics_statsd_free(struct metrics_statsd *st)
{
	free_slots(st->slots, st->cap);
	st->slots = NULL;
	st->cap = 0;
}

/* A push in progress: the datagram being filled and the new counters. */
struct push_ctx {
	const struct metrics_push *push;
	struct metrics_statsd *st;
	struct emit_buf name, line;
	char datagram[METRICS_DATAGRAM_MAX];
	size_t len;
	struct metrics_statsd_entry *slots; /* the counters' values after this push */
	size_t cap;
	int too_long;
	bool failed;
};

static void flush(struct push_ctx *p)
{
	if (p->len)
		p->push->send(p->datagram, p->len, p->push->arg);
	p->len = 0;
}

static void add_line(struct push_ctx *p, const char *line, size_t len)
{
	if (len > sizeof(p->datagram)) {
		p->too_long++;
		return;
	}
	if (p->len + (p->len ? 1 : 0) + len > sizeof(p->datagram))
		flush(p);
	if (p->len)
		p->datagram[p->len++] = '\n';
	memcpy(p->datagram + p->len, line, len);
	p->len += len;
}

/* xorshift64*: a draw in [0, 1). */
static double uniform(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (double)((*x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void push_counter(struct push_ctx *p, double value)
{
	struct metrics_statsd_entry *old = slot_of(p->st->slots, p->st->cap, p->name.data);
	struct metrics_statsd_entry *now = slot_of(p->slots, p->cap, p->name.data);
	double delta = old && old->name && value >= old->value ? value - old->value : value;
	char num[32], rate[16];

	if (now->name)
		return; /* a name twice in one set: counted once */
	now->name = strdup(p->name.data);
	now->value = value;
	p->failed |= !now->name;
	if (delta <= 0 || isnan(delta))
		return;
	if (p->push->sample_ppm < 1000000 &&
	    uniform(&p->st->rng) * 1000000 >= (double)p->push->sample_ppm)
		return;
	p->line.len = 0;
	emit(&p->line, "%s:%s|c", p->name.data, metrics_format_value(delta, num, sizeof(num)));
	if (p->push->sample_ppm < 1000000)
		emit(&p->line, "|@%s", units_format_ppm(p->push->sample_ppm, rate, sizeof(rate)));
	add_line(p, p->line.data, p->line.len);
}

static void push_gauge(struct push_ctx *p, double value)
{
	char num[32];

	/* a signed gauge would read as a change, not a value */
	if (isnan(value) || isinf(value) || value < 0)
		return;
	p->line.len = 0;
	emit(&p->line, "%s:%s|g", p->name.data, metrics_format_value(value, num, sizeof(num)));
	add_line(p, p->line.data, p->line.len);
}

static void push_sample(struct push_ctx *p, const struct metrics_set *s,
			const struct metrics_sample *m)
{
	const struct metrics_family *f = &s->families[m->family];

	p->name.len = 0;
	if (f->type == METRICS_HISTOGRAM) {
		metrics_statsd_name(s, m, p->push->prefix, "_count", &p->name);
		if (!p->name.failed)
			push_counter(p, (double)m->histogram->count);
		p->name.len = 0;
		metrics_statsd_name(s, m, p->push->prefix, "_sum", &p->name);
		if (!p->name.failed)
			push_counter(p, m->histogram->sum);
	} else {
		metrics_statsd_name(s, m, p->push->prefix, "", &p->name);
		if (p->name.failed)
			return;
		if (f->type == METRICS_COUNTER)
			push_counter(p, m->value);
		else
			push_gauge(p, m->value);
	}
	p->failed |= p->name.failed || p->line.failed;
}

int metrics_statsd_push(struct metrics_statsd *st, const struct metrics_set *s,
			const struct metrics_push *push)
{
	struct push_ctx p = { .push = push, .st = st };
	size_t i;

	if (s->failed)
		return -ENOMEM;
	/* counters and histograms (two names each) at most half the slots */
	for (p.cap = 16; p.cap < 4 * s->n_samples + 16; p.cap *= 2)
		;
	p.slots = calloc(p.cap, sizeof(*p.slots));
	if (!p.slots)
		return -ENOMEM;
	if (!st->rng)
		st->rng = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < s->n_samples && !p.failed; i++)
		if (!s->families[s->samples[i].family].no_push)
			push_sample(&p, s, &s->samples[i]);
	free(p.name.data);
	free(p.line.data);
	if (p.failed) {
		free_slots(p.slots, p.cap);
		return -ENOMEM;
	}
	flush(&p);
	metrics_statsd_free(st);
	st->slots = p.slots;
	st->cap = p.cap;
	return p.too_long;
}
