/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fixtures for the BPF tests: a freshly loaded balancer per test, map
 * writers that speak include/weir/abi.h, a runner for one packet through
 * BPF_PROG_TEST_RUN, and assertions on its verdict, output and counters.
 */
#ifndef WEIR_TEST_FIXTURE_H
#define WEIR_TEST_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <linux/bpf.h>

#include "weir/abi.h"
#include "packet.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The scene most tests use: one TCP service on an IPv4 VIP and a client. */
#define VIP4 "198.18.0.10"
#define VIP6 "2001:db8::10"
#define CLIENT4 "198.19.0.1"
#define CLIENT6 "2001:db8:1::1"
#define VIP_PORT 80
#define SVC_ID 3 /* not 0, so an id mixed up with an index shows */

struct lb {
	struct weir_bpf *skel;
	int prog;
	int services;
	int backends;
	int slots;
	int streams;
	int service_stats;
	int backend_stats;
	int stats;
	int classes;
	int class_counts;
	int class_stats;
	int service_counts;
	int backend_counts;
	int service_reasons;
	int grants;
	int requests;
	int rules;
};

int lb_setup(void **state);
int lb_teardown(void **state);

struct weir_service_key lb_service_key(__u8 family, const char *addr, __u16 port, __u8 proto);
/* A service without capacity, its default class (id = service id)
 * unpoliced; lb_set_class and lb_update_service change them. */
void lb_add_service(struct lb *lb, const struct weir_service_key *key, __u32 id);
void lb_service_value(struct weir_service *svc, __u32 id);
void lb_update_service(struct lb *lb, const struct weir_service_key *key,
		       const struct weir_service *svc);
struct weir_service lb_get_service(struct lb *lb, const struct weir_service_key *key);
/* rate_bps WEIR_RATE_UNLIMITED: not policed; else a 10 ms bucket (at least
 * 3000 bytes), as the controller writes it. */
void lb_set_class(struct lb *lb, __u32 class_id, __u32 service_id, __u64 min_bps, __u8 priority,
		  __u64 rate_bps);
void lb_set_slots(struct lb *lb, const struct weir_service_key *key, const __u32 *backend_ids,
		  __u16 count);
void lb_add_backend(struct lb *lb, __u32 id, __u32 service_id, __u8 family, const char *addr);
void lb_set_backend_flags(struct lb *lb, __u32 id, __u8 flags);
void lb_backend_mac(__u32 id, __u8 mac[6]);

/* One TCP service SVC_ID on VIP4:VIP_PORT with backends ids[0..n) in its
 * slot table, one slot each. */
struct weir_service_key lb_scene(struct lb *lb, const __u32 *ids, __u16 n);
/* A TCP packet from CLIENT4 to VIP4:VIP_PORT; lb_to_ipv6 moves it to
 * CLIENT6 -> VIP6. */
struct pkt_spec lb_client_tcp(__u16 sport, __u8 flags);
void lb_to_ipv6(struct pkt_spec *s);
/* A service for the destination of s, with one backend in one slot. */
struct weir_service_key lb_service_for(struct lb *lb, const struct pkt_spec *s, __u32 service_id,
				       __u32 backend_id);
struct weir_service_key lb_scene_for(struct lb *lb, const struct pkt_spec *s, __u32 backend_id);

__u32 lb_run(struct lb *lb, const struct pkt *in, struct pkt *out);
/* A frame of any length (jumbo frames too, which struct pkt cannot hold)
 * through the balancer once (repeat = 1): 0, with the verdict in *verdict
 * and the output frame in out (*out_len bytes, at most out_size), or
 * -errno when the kernel refused the run (frames under ETH_HLEN bytes). */
int lb_run_frame(struct lb *lb, const void *in, __u32 in_len, void *out, __u32 out_size,
		 __u32 *out_len, __u32 *verdict);
__u32 lb_send(struct lb *lb, const struct pkt_spec *s, struct pkt *out);
__u32 lb_backend_of(const struct pkt *out);

__u64 lb_reason(struct lb *lb, __u32 reason);
/* Every reason of weir_stats, summed over CPUs, in one syscall (a batch
 * lookup): cheap enough to read after every packet. */
void lb_reasons(struct lb *lb, __u64 counts[WEIR_DROP_MAX]);
struct weir_counters lb_service_counters(struct lb *lb, __u32 id);
struct weir_counters lb_backend_counters(struct lb *lb, __u32 id);
struct weir_stream_key lb_stream_key(const struct pkt_spec *s);
int lb_stream(struct lb *lb, const struct pkt_spec *s, struct weir_stream *out);
int lb_stream_count(struct lb *lb);
/* Every entry of the stream table, read in batches into arrays of *max
 * elements that grow (realloc) as needed; returns the number of entries. */
int lb_stream_dump(struct lb *lb, struct weir_stream_key **keys, struct weir_stream **values,
		   int *max);

struct weir_service_counts lb_service_counts(struct lb *lb, __u32 id);
struct weir_class_counts lb_class_counts(struct lb *lb, __u32 id);
struct weir_class_stats lb_class_stats(struct lb *lb, __u32 id);
__u64 lb_backend_streams(struct lb *lb, __u32 id);
__u64 lb_service_reason(struct lb *lb, __u32 service_id, __u32 reason);
void lb_set_limits(struct lb *lb, const struct weir_service_key *key, __u64 streams, __u64 rate);
/* The balancer's clock from now on (0: the kernel's again). */
void lb_set_time(struct lb *lb, __u64 ns);

void lb_rule_prefix(struct weir_rule *r, __u8 family, const char *addr, __u8 prefix_len);
void lb_class_preemptable(struct lb *lb, __u32 class_id);
void lb_use_port(struct lb *lb, __u8 proto, __u16 port);
void lb_add_rule(struct lb *lb, const struct weir_service_key *key, const struct weir_rule *rule);
__u32 lb_release_epoch(struct lb *lb, __u32 class_id, __u32 epoch);
/* The controller's next step: promises of preemption beyond the class's
 * counted streams are taken back. Returns how many. */
__u64 lb_settle_preemptions(struct lb *lb, __u32 class_id);
void lb_grant(struct lb *lb, __u32 slot, __u32 service_id, __u32 class_id, const char *client,
	      __u64 expires_ns);
struct weir_grant lb_get_grant(struct lb *lb, __u32 slot);

void assert_forwarded(const struct pkt *in, const struct pkt *out, __u32 backend_id);
void assert_untouched(const struct pkt *in, const struct pkt *out);
void assert_only_reason(struct lb *lb, __u32 reason, __u64 count);

#endif
