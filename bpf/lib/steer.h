/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Backend choice for a new stream: the controller expands weights (all 1
 * for round-robin) into the service's slot table, and new streams walk it
 * with a shared cursor. */
#ifndef WEIR_BPF_STEER_H
#define WEIR_BPF_STEER_H

static __always_inline int steer_pick(const struct weir_service *svc, __u32 *backend_id)
{
	__u32 count = svc->slot_count;
	__u32 id = svc->id;
	__u32 *cursor, *slot, pos, index;

	if (count == 0 || count > WEIR_MAX_SLOTS || id >= WEIR_MAX_SERVICES)
		return -WEIR_DROP_NO_BACKEND;
	cursor = bpf_map_lookup_elem(&weir_cursors, &id);
	if (!cursor)
		return -WEIR_DROP_NO_BACKEND;
	/* Shared, not per-CPU: the rotation stays exact whichever CPU a new
	 * stream lands on; only new streams pay for the atomic. */
	pos = __sync_fetch_and_add(cursor, 1);
	index = id * WEIR_MAX_SLOTS + pos % count;
	slot = bpf_map_lookup_elem(&weir_slots, &index);
	if (!slot)
		return -WEIR_DROP_NO_BACKEND;
	*backend_id = *slot;
	return 0;
}

#define STEER_USABLE (WEIR_BACKEND_IN_USE | WEIR_BACKEND_MAC_VALID)

/* The backend a stream is pinned to, if it still exists for that service
 * and has a MAC to send to; a deleted backend's streams are steered again
 * on their next SYN. */
static __always_inline struct weir_backend *steer_backend(__u32 backend_id, __u32 service_id)
{
	struct weir_backend *be = bpf_map_lookup_elem(&weir_backends, &backend_id);

	if (!be || (be->flags & STEER_USABLE) != STEER_USABLE || be->service_id != service_id)
		return NULL;
	return be;
}

#endif
