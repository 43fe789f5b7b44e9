/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Expansion of backend weights into the slot table the data plane walks
 * for new streams. Pure: no I/O, no allocation. */
#ifndef WEIR_SLOTS_H
#define WEIR_SLOTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fill slots[] with indexes into weights[] so that one full pass over the
 * returned count of slots gives every index exactly its share of the
 * (gcd-reduced) weights, interleaved smoothly (1:2:3 never runs one backend
 * three times in a row when it can be avoided). Zero weights get no slot.
 * When the reduced weights add up to more than max_slots they are scaled
 * down proportionally (largest remainder), every positive weight keeping at
 * least one slot. Returns the number of slots written, 0 when no weight is
 * positive, -EINVAL when n or max_slots is 0, n > max_slots or
 * n > WEIR_MAX_SLOTS (the scratch space is on the stack).
 */
int slots_build(const uint32_t *weights, size_t n, uint32_t *slots, size_t max_slots);

/* A weight in slow start: elapsed of window ns into its ramp it has
 * weight * elapsed / window, at least 1; all of it from the window's end
 * (and when window is 0). */
uint32_t slots_ramp(uint32_t weight, uint64_t elapsed_ns, uint64_t window_ns);

#endif
