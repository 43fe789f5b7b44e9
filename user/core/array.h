/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The arrays of services, backends and classes grow one element at a
 * time and lose one anywhere, keeping their order: one way to do both.
 */
#ifndef WEIR_ARRAY_H
#define WEIR_ARRAY_H

#include <stdlib.h>
#include <string.h>

/* Grows the array of *n elements of size bytes whose pointer arrp points
 * at (whatever its type) by one zeroed element, and returns it; NULL,
 * the array unchanged, when out of memory. */
static inline void *array_push(void *arrp, size_t *n, size_t size)
{
	void *arr;
	char *slot;

	memcpy(&arr, arrp, sizeof(arr));
	arr = realloc(arr, (*n + 1) * size);
	if (!arr)
		return NULL;
	memcpy(arrp, &arr, sizeof(arr));
	slot = (char *)arr + *n * size;
	memset(slot, 0, size);
	(*n)++;
	return slot;
}

/* Takes element i out of the array of *n, the others keeping their order. */
static inline void array_remove(void *arr, size_t *n, size_t size, size_t i)
{
	memmove((char *)arr + i * size, (char *)arr + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
}

#endif
