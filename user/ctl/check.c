// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The probes of `weir check`: what a setup that silently does not forward
 * gets wrong, asked of the host and of each backend on the wire. A
 * backend under DSR must take packets for the VIP (the VIP on lo): a SYN
 * to the VIP sent to its MAC must be answered, by a SYN-ACK or a RST,
 * from the VIP; and it must not answer ARP for the VIP (arp_ignore), or
 * clients' traffic would go to it instead of the load balancer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "weir/abi.h"
#include "weir/csum.h"
#include "ctl/check.h"
#include "ctl/log.h"
#include "ctl/sockaddr.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int check_iface(const char *name, struct check_iface *out)
{
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	memset(out, 0, sizeof(*out));
	out->ifindex = (int)if_nametoindex(name);
	if (!out->ifindex || fd < 0) {
		if (fd >= 0)
			close(fd);
		return -ENODEV;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		out->mtu = ifr.ifr_mtu;
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		memcpy(out->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!ioctl(fd, SIOCGIFADDR, &ifr))
		out->addr4 = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	ifr.ifr_data = (void *)&drv;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		snprintf(out->driver, sizeof(out->driver), "%s", drv.driver);
	close(fd);
	return ret;
}

/* A program that passes everything: what is tried on the interface. */
static int pass_program(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "weir_check", "GPL", insns, 2, NULL);
}

int check_xdp_native(int ifindex, __u32 *attached_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int fd, err;

	*attached_id = 0;
	if (!bpf_xdp_query(ifindex, 0, &q) && q.prog_id) {
		*attached_id = q.prog_id;
		return 0; /* something runs there already: leave it alone */
	}
	fd = pass_program();
	if (fd < 0)
		return -errno;
	/* the kernel's refusal is the answer, reported by the caller */
	log_route_libraries();
	log_hold_libraries();
	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	log_release_libraries(false);
	if (!err)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	close(fd);
	return err;
}

int check_connect(const struct weir_addr *addr, uint16_t port, int timeout_ms)
{
	struct pollfd pfd = { .events = POLLOUT };
	int err;

	pfd.fd = connect_start(addr, port, &err);
	if (pfd.fd < 0)
		return -err;
	if (err == EINPROGRESS)
		err = poll(&pfd, 1, timeout_ms) == 1 ? connect_result(pfd.fd) : ETIMEDOUT;
	connect_close(pfd.fd);
	return -err;
}

static int packet_socket(int ifindex, uint16_t proto)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(proto),
				   .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(proto));

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -errno;
	}
	return fd;
}

struct syn_frame {
	struct ethhdr eth;
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

static void build_syn(struct syn_frame *f, const struct check_iface *ifc, const uint8_t mac[6],
		      uint32_t vip, uint16_t port, uint16_t sport)
{
	uint32_t sum;

	memset(f, 0, sizeof(*f));
	memcpy(f->eth.h_dest, mac, 6);
	memcpy(f->eth.h_source, ifc->mac, 6);
	f->eth.h_proto = htons(ETH_P_IP);
	f->ip.version = 4;
	f->ip.ihl = 5;
	f->ip.tot_len = htons(sizeof(f->ip) + sizeof(f->tcp));
	f->ip.ttl = 64;
	f->ip.protocol = IPPROTO_TCP;
	f->ip.saddr = ifc->addr4;
	f->ip.daddr = vip;
	f->ip.check = htons(weir_csum(&f->ip, sizeof(f->ip), 0));
	f->tcp.source = htons(sport);
	f->tcp.dest = htons(port);
	f->tcp.seq = htonl(0x77656972);
	f->tcp.doff = 5;
	f->tcp.syn = 1;
	f->tcp.window = htons(1024);
	sum = (ntohl(f->ip.saddr) >> 16) + (ntohl(f->ip.saddr) & 0xffff) +
	      (ntohl(f->ip.daddr) >> 16) + (ntohl(f->ip.daddr) & 0xffff) + IPPROTO_TCP +
	      sizeof(f->tcp);
	f->tcp.check = htons(weir_csum(&f->tcp, sizeof(f->tcp), sum));
}

/* The backend's answer to our SYN, if this frame is it. */
static int syn_answer(const uint8_t *buf, ssize_t n, uint32_t vip, uint16_t port, uint16_t sport)
{
	const struct syn_frame *f = (const void *)buf;

	if (n < (ssize_t)sizeof(*f) || f->eth.h_proto != htons(ETH_P_IP) ||
	    f->ip.protocol != IPPROTO_TCP || f->ip.saddr != vip || f->ip.ihl != 5 ||
	    f->tcp.source != htons(port) || f->tcp.dest != htons(sport))
		return 0;
	if (f->tcp.rst)
		return CHECK_VIP_RESET;
	return f->tcp.syn && f->tcp.ack ? CHECK_VIP_ACCEPTED : 0;
}

int check_vip_accepted(const struct check_iface *ifc, const uint8_t mac[6], uint32_t vip,
		       uint16_t port, int timeout_ms)
{
	uint16_t sport = 40000 + (uint16_t)(now_ms() % 20000);
	int fd = packet_socket(ifc->ifindex, ETH_P_ALL), got = 0;
	uint64_t until = now_ms() + timeout_ms;
	struct syn_frame syn;
	uint8_t buf[2048];

	if (fd < 0)
		return fd;
	build_syn(&syn, ifc, mac, vip, port, sport);
	if (send(fd, &syn, sizeof(syn), 0) != sizeof(syn)) {
		got = -errno;
		until = 0;
	}
	while (!got && now_ms() < until) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, (int)(until - now_ms())) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		got = syn_answer(buf, n, vip, port, sport);
	}
	close(fd);
	return got;
}

struct arp_frame {
	struct ethhdr eth;
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
} __attribute__((packed));

int check_arp_answers(const struct check_iface *ifc, uint32_t vip, uint8_t (*macs)[6], size_t max,
		      int timeout_ms)
{
	int fd = packet_socket(ifc->ifindex, ETH_P_ARP);
	uint64_t until = now_ms() + timeout_ms;
	struct arp_frame req = { 0 }, *r;
	uint8_t buf[256];
	size_t n = 0;

	if (fd < 0)
		return fd;
	memset(req.eth.h_dest, 0xff, 6);
	memcpy(req.eth.h_source, ifc->mac, 6);
	req.eth.h_proto = htons(ETH_P_ARP);
	req.htype = htons(1);
	req.ptype = htons(ETH_P_IP);
	req.hlen = 6;
	req.plen = 4;
	req.op = htons(1);
	memcpy(req.sha, ifc->mac, 6);
	req.spa = ifc->addr4;
	req.tpa = vip;
	if (send(fd, &req, sizeof(req), 0) != sizeof(req))
		until = 0;
	while (now_ms() < until && n < max) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t len;

		if (poll(&pfd, 1, (int)(until - now_ms())) <= 0)
			break;
		len = recv(fd, buf, sizeof(buf), 0);
		r = (struct arp_frame *)buf;
		if (len >= (ssize_t)sizeof(*r) && r->op == htons(2) && r->spa == vip)
			memcpy(macs[n++], r->sha, 6);
	}
	close(fd);
	return (int)n;
}
