// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * weir's XDP balancer. The entry point only dispatches and counts: helpers
 * return a verdict or a negative WEIR_DROP_* reason, and weir_xdp() turns a
 * reason into XDP_PASS or XDP_DROP and a count in weir_stats.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "weir/abi.h"

#define ETH_ALEN 6

#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/steer.h"
#include "lib/stream.h"
#include "lib/fwd.h"

static __always_inline struct weir_service *service_lookup(const struct packet *p)
{
	struct weir_service_key key = {
		.port = p->key.dport,
		.proto = p->key.proto,
		.family = p->key.family,
	};

	__builtin_memcpy(key.addr, p->key.dst, sizeof(key.addr));
	return bpf_map_lookup_elem(&weir_services, &key);
}

static __always_inline int balance_new(const struct packet *p, const struct weir_service *svc,
				       __u64 now)
{
	struct weir_backend *be;
	__u32 backend_id;
	int ret;

	ret = steer_pick(svc, &backend_id);
	if (ret)
		goto refused;
	be = steer_backend(backend_id, svc->id);
	if (!be) {
		ret = -WEIR_DROP_NO_BACKEND;
		goto refused;
	}
	ret = stream_open(p, svc->id, backend_id, now);
	if (ret)
		return ret;
	stats_count_forward(svc->id, backend_id, p->len, 1, stream_is_tcp_fin(p));
	return fwd_dsr(p->eth, be);
refused:
	stats_count_refused(svc->id);
	return ret;
}

/* An ICMP error about a stream goes where the stream goes: under DSR the
 * backend sent the datagram it quotes, and only the backend can act on
 * it (path MTU discovery). It changes nothing of the stream. */
static __always_inline int balance_icmp_error(const struct packet *p,
					      const struct weir_service *svc)
{
	struct weir_stream *s = stream_lookup(p);
	struct weir_counters *counters;
	struct weir_backend *be;

	be = s ? steer_backend(s->backend_id, svc->id) : NULL;
	if (!be)
		return -WEIR_DROP_ICMP_NO_STREAM;
	counters = stats_service(svc->id);
	if (counters)
		counters->icmp_forwarded += 1;
	return fwd_dsr(p->eth, be);
}

/* Only a SYN opens a TCP stream: any other segment of no stream would
 * otherwise take a table entry and a backend (spoofed ACKs could flush
 * the table and re-steer live streams). */
static __always_inline int balance_miss(const struct packet *p, const struct weir_service *svc,
					struct weir_stream *s, __u64 now)
{
	if (p->key.proto == IPPROTO_TCP) {
		if (p->tcp_flags & TCP_FLAG_RST)
			return stream_stray_rst(p, s);
		if ((p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) != TCP_FLAG_SYN)
			return -WEIR_DROP_NO_STREAM;
	}
	return balance_new(p, svc, now);
}

static __always_inline int balance(const struct packet *p)
{
	struct weir_service *svc = service_lookup(p);
	struct weir_backend *be = NULL;
	struct weir_stream *s;
	__u32 backend_id;
	__u64 now;
	int ended;

	if (!svc)
		return -WEIR_DROP_NOT_SERVICE;
	if (p->icmp_error)
		return balance_icmp_error(p, svc);
	/* Coarse time is enough for idle timeouts and cheaper per packet. */
	now = bpf_ktime_get_coarse_ns();
	s = stream_lookup(p);
	if (s && !stream_is_reopened(s, p)) {
		backend_id = s->backend_id;
		be = steer_backend(backend_id, svc->id);
	}
	if (!be)
		return balance_miss(p, svc, s, now);
	ended = stream_track(p, s, now);
	stats_count_forward(svc->id, backend_id, p->len, 0, ended);
	return fwd_dsr(p->eth, be);
}

SEC("xdp")
int weir_xdp(struct xdp_md *ctx)
{
	struct packet p = {};
	int ret;

	ret = parse_packet(ctx, &p);
	if (!ret)
		ret = balance(&p);
	if (ret >= 0)
		return ret;
	stats_count_reason(-ret);
	return WEIR_DROP_IS_DROP(-ret) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
