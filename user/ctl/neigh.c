// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Backend MACs from the kernel's neighbour table (an rtnetlink dump), so
 * operators give addresses, not MACs. A missing entry is solicited by
 * sending the backend a datagram, which makes the kernel resolve it.
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/log.h"
#include "ctl/sockaddr.h"

#define NEIGH_MAX 65536 /* entries read per dump; the rest are not seen */
#define ROUTE_REFRESH_NS 1000000000ULL /* an ipip backend's next hop, looked up again */
#define NEIGH_USABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

struct neigh_entry {
	struct weir_addr addr;
	uint8_t mac[6];
	int ifindex;
};

static void neigh_parse(const struct nlmsghdr *nh, struct neigh_entry *out, size_t *n)
{
	const struct ndmsg *ndm = NLMSG_DATA(nh);
	const struct rtattr *rta =
		(const struct rtattr *)((const char *)ndm + NLMSG_ALIGN(sizeof(*ndm)));
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm));
	struct neigh_entry e = { .ifindex = ndm->ndm_ifindex };
	bool has_dst = false, has_mac = false;

	if (!(ndm->ndm_state & NEIGH_USABLE) || *n >= NEIGH_MAX)
		return;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t plen = RTA_PAYLOAD(rta);

		if (rta->rta_type == NDA_DST && (plen == 4 || plen == 16)) {
			memcpy(e.addr.bytes, RTA_DATA(rta), plen);
			e.addr.family = plen == 4 ? WEIR_AF_INET : WEIR_AF_INET6;
			has_dst = true;
		} else if (rta->rta_type == NDA_LLADDR && plen == 6) {
			memcpy(e.mac, RTA_DATA(rta), 6);
			has_mac = true;
		}
	}
	if (has_dst && has_mac)
		out[(*n)++] = e;
}

static int neigh_recv(int fd, struct neigh_entry *out, size_t *n)
{
	static char buf[32768];

	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		if (len < 0)
			return -errno;
		for (; NLMSG_OK(nh, (size_t)len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return -EIO;
			if (nh->nlmsg_type == RTM_NEWNEIGH)
				neigh_parse(nh, out, n);
		}
	}
}

static int neigh_dump(int fd, struct neigh_entry *out, size_t *n)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg ndm;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)),
		.nh.nlmsg_type = RTM_GETNEIGH,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.ndm.ndm_family = AF_UNSPEC,
	};

	*n = 0;
	return send(fd, &req, req.nh.nlmsg_len, 0) < 0 ? -errno : neigh_recv(fd, out, n);
}

/* The answer to request seq: what an earlier request left unread (a dump
 * cut short) is skipped. Its length, or -1. */
static int route_answer(int fd, uint32_t seq, char *buf, size_t size)
{
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	int len, tries;

	for (tries = 0; tries < 16; tries++) {
		len = (int)recv(fd, buf, size, 0);
		if (len < 0)
			return -1;
		if (NLMSG_OK(nh, (size_t)len) && nh->nlmsg_seq == seq)
			return len;
	}
	return -1;
}

/* The address whose MAC the frames to dst go to: the gateway of the
 * kernel's route to dst, or dst itself when it is on the link. 0, or a
 * negative errno (no route). fd: the step's netlink socket. */
static int route_next_hop(int fd, const struct weir_addr *dst, struct weir_addr *via)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rtm;
		char attrs[64];
	} req = { 0 };
	static char buf[8192];
	static uint32_t seq = 1;
	size_t alen = dst->family == WEIR_AF_INET ? 4 : 16;
	struct rtattr *rta =
		(struct rtattr *)((char *)&req + NLMSG_ALIGN(NLMSG_LENGTH(sizeof(req.rtm))));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtmsg *rtm;
	int len, rlen;

	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = ++seq;
	req.rtm.rtm_family = dst->family == WEIR_AF_INET ? AF_INET : AF_INET6;
	req.rtm.rtm_dst_len = alen * 8;
	rta->rta_type = RTA_DST;
	rta->rta_len = RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), dst->bytes, alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(req.rtm))) + RTA_ALIGN(rta->rta_len);
	len = send(fd, &req, req.nh.nlmsg_len, 0) < 0 ? -1
						      : route_answer(fd, seq, buf, sizeof(buf));
	if (len < 0 || nh->nlmsg_type != RTM_NEWROUTE)
		return -EHOSTUNREACH;
	*via = *dst;
	rtm = NLMSG_DATA(nh);
	rta = RTM_RTA(rtm);
	rlen = RTM_PAYLOAD(nh);
	for (; RTA_OK(rta, rlen); rta = RTA_NEXT(rta, rlen))
		if (rta->rta_type == RTA_GATEWAY && RTA_PAYLOAD(rta) == alen)
			memcpy(via->bytes, RTA_DATA(rta), alen);
	return 0;
}

/* The address a backend's frames go to: itself (DSR: on the link), or
 * the next hop toward it (IP-in-IP: it may be routed hops away), which is
 * looked up again every ROUTE_REFRESH_NS to follow route changes. */
static const struct weir_addr *frame_target(int fd, const struct ctl_service *svc,
					    struct ctl_backend *be, uint64_t now)
{
	if (svc->cfg.forwarding != WEIR_FWD_IPIP)
		return &be->cfg.addr;
	if (now >= be->next_route_ns) {
		be->next_route_ns = now + ROUTE_REFRESH_NS;
		if (route_next_hop(fd, &be->cfg.addr, &be->next_hop))
			be->next_hop = be->cfg.addr;
	}
	return &be->next_hop;
}

/* Only an entry on an interface weir runs on: DSR sends the frame out of
 * the interface it came in on, where a MAC learned on another link means
 * nothing. Without interfaces (maps only) any entry will do. */
static const struct neigh_entry *neigh_find(const struct ctl *c, const struct neigh_entry *tab,
					    size_t n, const struct weir_addr *addr)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (!units_addr_equal(&tab[i].addr, addr) || !units_mac_is_unicast(tab[i].mac))
			continue;
		if (!c->loader.n_ifaces)
			return &tab[i];
		for (k = 0; k < c->loader.n_ifaces; k++)
			if (c->loader.ifaces[k].ifindex == tab[i].ifindex)
				return &tab[i];
	}
	return NULL;
}

static void neigh_solicit(const struct weir_addr *addr)
{
	int family = addr->family == WEIR_AF_INET ? AF_INET : AF_INET6;
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_from(addr, 9 /* discard */, &ss);
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	sendto(fd, "", 0, 0, (struct sockaddr *)&ss, len);
	close(fd);
}

static void neigh_missing(struct ctl_service *svc, struct ctl_backend *be, uint64_t now)
{
	char addr[WEIR_ADDR_STRLEN];

	if (!be->mac_wait_since_ns)
		be->mac_wait_since_ns = now;
	if (now >= be->next_solicit_ns) {
		neigh_solicit(&be->cfg.addr);
		be->next_solicit_ns = now + 1000000000ULL;
	}
	if (!be->mac_warned && now - be->mac_wait_since_ns >= 1000000000ULL) {
		be->mac_warned = true;
		pr_warn("service %s: backend %s: no MAC in neighbour table after 1 s\n",
			svc->cfg.name, units_format_addr(&be->cfg.addr, addr, sizeof(addr)));
	}
}

static void neigh_update(struct ctl *c, int fd, const struct neigh_entry *tab, size_t n,
			 uint64_t now)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		for (j = 0; j < svc->n_backends; j++) {
			struct ctl_backend *be = &svc->backends[j];
			const struct neigh_entry *e;

			if (be->cfg.has_mac)
				continue;
			e = neigh_find(c, tab, n, frame_target(fd, svc, be, now));
			if (!e) {
				if (!be->mac_known)
					neigh_missing(svc, be, now);
				continue;
			}
			if (!be->mac_known || memcmp(be->mac, e->mac, 6)) {
				memcpy(be->mac, e->mac, 6);
				be->mac_known = true;
				be->mac_warned = false;
				be->mac_wait_since_ns = 0;
				svc->dirty = true;
			}
		}
	}
}

static bool neigh_wanted(const struct ctl *c)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++)
		for (j = 0; j < c->services[i].n_backends; j++)
			if (!c->services[i].backends[j].mac_known)
				return true;
	return false;
}

/* Every second to follow MAC changes; every tick while a MAC is missing.
 * One netlink socket a step serves the dump and the route lookups. */
void neigh_step(struct ctl *c, uint64_t now)
{
	static struct neigh_entry tab[NEIGH_MAX];
	size_t n;
	int fd;

	if (now < c->next_neigh_ns && !neigh_wanted(c))
		return;
	c->next_neigh_ns = now + 1000000000ULL;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd >= 0 && neigh_dump(fd, tab, &n) == 0)
		neigh_update(c, fd, tab, n, now);
	else
		pr_warn("neighbour table: dump failed\n");
	if (fd >= 0)
		close(fd);
}
