/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Policing: each stream has a token bucket filled at its class's current
 * rate (one array lookup: a new allocation applies to every stream's next
 * packet without touching a stream entry). Rates count IP bytes. */
#ifndef WEIR_BPF_POLICE_H
#define WEIR_BPF_POLICE_H

/* Refills the bucket for the time since the stream's last packet, then
 * takes the packet's bytes; -WEIR_DROP_POLICED when they are not there.
 * The refill time is last_seen_ns, moved here, policed or not: a packet
 * that is then not sent (too big to encapsulate) must not leave the same
 * time to be refilled again. */
static __always_inline int police(struct weir_stream *s, const struct weir_class *cls, __u32 bytes,
				  __u64 now)
{
	__u64 fill = cls->fill, tokens = s->tokens, need = (__u64)bytes << WEIR_TOKEN_SHIFT;
	__u64 elapsed;

	if (fill == WEIR_RATE_UNLIMITED)
		return 0;
	elapsed = now > s->last_seen_ns ? now - s->last_seen_ns : 0;
	/* Past full_ns the bucket is full anyway; the product then stays
	 * within the depth, which the controller keeps inside 64 bits. */
	if (elapsed >= cls->full_ns)
		tokens = cls->depth;
	else
		tokens += elapsed * fill;
	if (tokens > cls->depth)
		tokens = cls->depth;
	s->last_seen_ns = now;
	if (tokens < need) {
		s->tokens = tokens;
		return -WEIR_DROP_POLICED;
	}
	s->tokens = tokens - need;
	return 0;
}

#endif
