/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet builder for the BPF tests: Ethernet, at most one 802.1Q tag, IPv4
 * or IPv6, then TCP, UDP or an 8-byte ICMP echo header, with correct
 * lengths and checksums so a frame is what a real client would send.
 */
#ifndef WEIR_TEST_PACKET_H
#define WEIR_TEST_PACKET_H

#include <stdbool.h>
#include <linux/types.h>

#define PKT_MAX 512

#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10

/* The client's MAC and the balancer's own: every test frame goes client -> LB. */
extern const __u8 pkt_client_mac[6];
extern const __u8 pkt_lb_mac[6];

struct pkt_spec {
	__u8 family; /* WEIR_AF_INET or WEIR_AF_INET6 */
	__u8 proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6) */
	const char *src; /* client address */
	const char *dst; /* destination address (the VIP) */
	__u16 sport; /* host order */
	__u16 dport; /* host order */
	__u8 tcp_flags; /* PKT_* */
	__u16 vlan_id; /* 0: untagged */
	__u16 payload_len;
	__u8 ip_options_len; /* IPv4 only; multiple of 4, filled with NOPs */
	__u16 frag_off; /* IPv4 only; host order, IP_MF | offset */
	bool hop_by_hop; /* IPv6 only: an 8-byte hop-by-hop header before L4 */
	/* ICMP(v6) only: an error of this type and code quoting the IP header
	 * and first 8 L4 bytes of the datagram quote describes; mtu for
	 * "fragmentation needed" and "packet too big". Without quote: echo. */
	const struct pkt_spec *quote;
	__u8 icmp_type, icmp_code;
	__u16 icmp_mtu;
};

struct pkt {
	/* As the kernel's NET_IP_ALIGN: after the 14-byte Ethernet header
	 * the IP header, and the headers after it, are 4-byte aligned for
	 * the builder's struct accesses (UBSan reported them misaligned). */
	__u8 align_pad[2];
	__u8 data[PKT_MAX];
	__u32 len;
	__u32 l3_off; /* IP header */
	__u32 l4_off; /* TCP/UDP/ICMP header */
	__u32 l4_end; /* first byte after the L4 header */
};

void pkt_build(struct pkt *p, const struct pkt_spec *s);
void pkt_build_arp(struct pkt *p, const char *sender, const char *target);
void pkt_ipv4_csum(struct pkt *p);
void pkt_set_addr(__u8 out[16], __u8 family, const char *text);

#endif
