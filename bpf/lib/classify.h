/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A new stream's class: an explicit request (grant) for its client, else
 * the first of its service's class rules that matches, else the service's
 * default class. */
#ifndef WEIR_BPF_CLASSIFY_H
#define WEIR_BPF_CLASSIFY_H

/* The controller stores the prefix masked, with its mask: two 64-bit
 * compares, whatever the family. */
static __always_inline int classify_prefix(const struct weir_rule *r, const struct packet *p)
{
	__u64 src[2];

	if (r->family != p->key.family)
		return 0;
	__builtin_memcpy(src, p->key.src, sizeof(src));
	return (src[0] & r->mask[0]) == r->addr[0] && (src[1] & r->mask[1]) == r->addr[1];
}

static __always_inline int classify_match(const struct weir_rule *r, const struct packet *p)
{
	__u16 port = bpf_ntohs(p->key.dport);

	if (r->kind == WEIR_RULE_CIDR)
		return classify_prefix(r, p);
	if (r->kind == WEIR_RULE_PORTS)
		return port >= r->port_lo && port <= r->port_hi;
	if (r->kind == WEIR_RULE_DSCP)
		return p->dscp == r->dscp;
	return 0;
}

static __always_inline __u16 classify_rules(const struct weir_service *svc, const struct packet *p)
{
	__u32 i, base = svc->id * WEIR_MAX_RULES;

	for (i = 0; i < WEIR_MAX_RULES; i++) {
		__u32 index = base + i;
		struct weir_rule *r;

		if (i >= svc->n_rules)
			break;
		r = bpf_map_lookup_elem(&weir_rules, &index);
		if (r && classify_match(r, p))
			return r->class_id;
	}
	return svc->default_class;
}

/* The grant waiting for this client (port first, then any port), taken
 * once: GRANTED -> BOUND. Returns its slot + 1, or 0. */
static __always_inline __u32 classify_grant(const struct weir_service *svc, const struct packet *p,
					    __u64 now, struct weir_grant **out)
{
	struct weir_request_key key = {
		.port = p->key.sport,
		.family = p->key.family,
		.service_id = svc->id,
	};
	struct weir_grant *g;
	__u32 *slot;

	__builtin_memcpy(key.addr, p->key.src, sizeof(key.addr));
	slot = bpf_map_lookup_elem(&weir_requests, &key);
	if (!slot) {
		key.port = 0;
		slot = bpf_map_lookup_elem(&weir_requests, &key);
	}
	if (!slot)
		return 0;
	g = bpf_map_lookup_elem(&weir_grants, slot);
	if (!g || g->service_id != svc->id || g->expires_ns < now ||
	    __sync_val_compare_and_swap(&g->state, WEIR_GRANT_GRANTED, WEIR_GRANT_BOUND) !=
		    WEIR_GRANT_GRANTED)
		return 0;
	__builtin_memcpy(&g->stream, &p->key, sizeof(p->key));
	*out = g;
	return *slot + 1;
}

/* A new stream's class id, and in the upper half the grant slot + 1 it
 * bound (0: none). A global function, verified once. */
__noinline __u32 weir_classify(const struct weir_service *svc, const struct packet *p, __u64 now)
{
	struct weir_grant *g = NULL;
	__u32 grant = 0;

	if (!svc || !p)
		return WEIR_CLASS_NONE;
	if (svc->flags & WEIR_SERVICE_REQUESTS)
		grant = classify_grant(svc, p, now, &g);
	if (g)
		return (grant << 16) | g->class_id;
	return classify_rules(svc, p);
}

#endif
