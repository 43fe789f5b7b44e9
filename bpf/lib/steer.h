/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Backend choice for a new stream: the controller expands weights (all 1
 * for round-robin) into the service's slot table, and new streams walk it
 * with a shared cursor. */
#ifndef WEIR_BPF_STEER_H
#define WEIR_BPF_STEER_H

#define STEER_TRIES 4 /* slots tried when backends are at their max-streams */

/* Maglev: the stream's own entry, or the ones after it when its backend
 * is full (try), so every host still agrees. */
static __always_inline int steer_maglev(const struct weir_service *svc, __u32 hash, __u32 try,
					__u32 *backend_id)
{
	struct weir_maglev_entry *entry;
	__u32 size = svc->maglev_size, index;

	if (!size || size > WEIR_MAGLEV_SIZE_MAX || svc->maglev_table >= WEIR_MAGLEV_TABLES)
		return -WEIR_DROP_NO_BACKEND;
	index = svc->maglev_table * WEIR_MAGLEV_SIZE_MAX + (hash + try) % size;
	entry = bpf_map_lookup_elem(&weir_maglev, &index);
	if (!entry)
		return -WEIR_DROP_NO_BACKEND;
	*backend_id = entry->backend_id;
	return 0;
}

static __always_inline int steer_next(const struct weir_service *svc, __u32 *cursor,
				      __u32 *backend_id)
{
	__u32 count = svc->slot_count, pos, index, *slot;

	/* Shared, not per-CPU: the rotation stays exact whichever CPU a new
	 * stream lands on; only new streams pay for the atomic. */
	pos = svc->flags & WEIR_SERVICE_SHUFFLE ? bpf_get_prandom_u32()
						: __sync_fetch_and_add(cursor, 1);
	index = svc->id * WEIR_MAX_SLOTS + pos % count;
	slot = bpf_map_lookup_elem(&weir_slots, &index);
	if (!slot)
		return -WEIR_DROP_NO_BACKEND;
	*backend_id = *slot;
	return 0;
}

/* Takes a place on the backend: exact across CPUs, like admission. */
static __always_inline int steer_take(const struct weir_backend *be, __u32 backend_id)
{
	struct weir_backend_counts *bc = bpf_map_lookup_elem(&weir_backend_counts, &backend_id);

	if (!bc)
		return -WEIR_DROP_NO_BACKEND;
	if (!be->max_streams) {
		__sync_fetch_and_add(&bc->streams, 1);
		return 0;
	}
	if (weir_read(&bc->streams) >= be->max_streams)
		return -WEIR_DROP_BACKEND_FULL;
	if (__sync_fetch_and_add(&bc->streams, 1) < be->max_streams)
		return 0;
	__sync_fetch_and_sub(&bc->streams, 1);
	return -WEIR_DROP_BACKEND_FULL;
}

static __always_inline void steer_give_back(__u32 backend_id)
{
	struct weir_backend_counts *bc = bpf_map_lookup_elem(&weir_backend_counts, &backend_id);

	if (bc)
		__sync_fetch_and_sub(&bc->streams, 1);
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

/* The next backend in the rotation with room for one more stream; a full
 * one is passed over (up to STEER_TRIES slots). */
static __always_inline int steer_pick(const struct weir_service *svc, __u32 hash, __u32 *backend_id,
				      struct weir_backend **out)
{
	__u32 id = svc->id, *cursor;
	int i, ret = -WEIR_DROP_NO_BACKEND;

	if (svc->slot_count == 0 || svc->slot_count > WEIR_MAX_SLOTS || id >= WEIR_MAX_SERVICES)
		return -WEIR_DROP_NO_BACKEND;
	cursor = bpf_map_lookup_elem(&weir_cursors, &id);
	if (!cursor)
		return -WEIR_DROP_NO_BACKEND;
	for (i = 0; i < STEER_TRIES && i < svc->slot_count; i++) {
		struct weir_backend *be;

		if (svc->steering == WEIR_STEER_MAGLEV ? steer_maglev(svc, hash, i, backend_id)
						       : steer_next(svc, cursor, backend_id))
			return -WEIR_DROP_NO_BACKEND;
		be = steer_backend(*backend_id, id);
		if (!be)
			return -WEIR_DROP_NO_BACKEND;
		ret = steer_take(be, *backend_id);
		if (!ret) {
			*out = be;
			return 0;
		}
	}
	return ret;
}

#endif
