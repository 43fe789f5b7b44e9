/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-CPU counters: written on the fast path without atomics. */
#ifndef WEIR_BPF_STATS_H
#define WEIR_BPF_STATS_H

static __always_inline void stats_count_reason(__u32 reason)
{
	__u64 *count = bpf_map_lookup_elem(&weir_stats, &reason);

	if (count)
		*count += 1;
}

static __always_inline struct weir_counters *stats_service(__u32 service_id)
{
	return bpf_map_lookup_elem(&weir_service_stats, &service_id);
}

static __always_inline struct weir_counters *stats_backend(__u32 backend_id)
{
	return bpf_map_lookup_elem(&weir_backend_stats, &backend_id);
}

static __always_inline void stats_count_packet(struct weir_counters *c, __u32 len)
{
	if (!c)
		return;
	c->packets += 1;
	c->bytes += len;
}

/* Counts one packet forwarded to a backend on the backend's counters (the
 * service's packets and bytes are its classes': one counter less a packet),
 * and whether it ended the stream, on the service's too. */
static __always_inline void stats_count_forward(__u32 service_id, __u32 backend_id, __u32 len,
						int ended)
{
	struct weir_counters *be = stats_backend(backend_id), *svc;

	stats_count_packet(be, len);
	if (!ended)
		return;
	if (be)
		be->ended_streams += 1;
	svc = stats_service(service_id);
	if (svc)
		svc->ended_streams += 1;
}

static __always_inline struct weir_class_stats *stats_class(__u32 class_id)
{
	return bpf_map_lookup_elem(&weir_class_stats, &class_id);
}

/* A forwarded packet of a stream of the class. */
static __always_inline void stats_class_packet(struct weir_class_stats *cs, __u32 ip_len)
{
	if (!cs)
		return;
	cs->packets += 1;
	cs->bytes += ip_len;
}

/* A new stream opened: on its backend, service and class, whether or not
 * its first packet went out (sent: counted as a packet too). A first
 * packet too big to encapsulate leaves an open stream and no packet. */
static __always_inline void stats_count_opened(__u32 service_id, __u32 backend_id, __u32 class_id,
					       __u32 len, __u32 ip_len, int sent)
{
	struct weir_counters *be = stats_backend(backend_id), *svc = stats_service(service_id);
	struct weir_class_stats *cs = stats_class(class_id);

	if (be)
		be->new_streams += 1;
	if (svc)
		svc->new_streams += 1;
	if (cs)
		cs->admitted += 1;
	if (!sent)
		return;
	stats_count_packet(be, len);
	stats_class_packet(cs, ip_len);
}

static __always_inline void stats_class_policed(__u32 class_id, __u32 ip_len)
{
	struct weir_class_stats *cs = stats_class(class_id);

	if (!cs)
		return;
	cs->policed_packets += 1;
	cs->policed_bytes += ip_len;
}

/* The data plane moved the class's active count: counted for the
 * controller's reconciliation. */
static __always_inline void stats_class_counted(__u32 class_id, __u64 in, __u64 out)
{
	struct weir_class_stats *cs = stats_class(class_id);

	if (!cs)
		return;
	cs->counted_in += in;
	cs->counted_out += out;
}

static __always_inline void stats_class_preempted(__u32 class_id)
{
	struct weir_class_stats *cs = stats_class(class_id);

	if (cs)
		cs->preempted += 1;
}

static __always_inline void stats_class_resumed(__u32 class_id)
{
	struct weir_class_stats *cs = stats_class(class_id);

	if (cs)
		cs->resumed += 1;
}

/* A stream refused, by reason: on its service, its class if it has one,
 * and whether the refusal was answered. */
static __always_inline void stats_count_refused(const struct packet *p, __u32 reason, int replied)
{
	struct weir_counters *svc = stats_service(p->service_id);
	struct weir_class_stats *cs = stats_class(p->class_id);
	__u32 key = p->service_id * WEIR_REASONS_PER_SERVICE + reason;
	__u64 *count = bpf_map_lookup_elem(&weir_service_reasons, &key);

	if (svc) {
		svc->refused += 1;
		svc->replies += replied;
	}
	if (cs)
		cs->refused += 1;
	if (count)
		*count += 1;
}

#endif
