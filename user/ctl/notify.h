/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef WEIR_NOTIFY_H
#define WEIR_NOTIFY_H

/* Tells systemd (Type=notify) the controller's state, "READY=1" or
 * "STOPPING=1": one datagram to $NOTIFY_SOCKET, as sd_notify(3) sends it,
 * without linking libsystemd. Without $NOTIFY_SOCKET it does nothing.
 * Returns 0 or a negative errno. */
int notify_systemd(const char *state);

#endif
