#!/usr/bin/python3
"""Path MTU discovery under DSR, for tests/netns/test_pmtu.sh.

pmtu.py server PORT       a TCP server: each connection gets 1000 bytes and
                          stays open 5 s (so the backend's socket is there
                          when the ICMP error arrives)
pmtu.py client VIP PORT MTU
                          opens a stream through the VIP, reads the reply,
                          then plays a router on the way to the client: sends
                          the VIP an ICMP "fragmentation needed" (MTU) about
                          the backend's next segment, quoting the sequence
                          number the backend's TCP expects (Linux ignores
                          errors outside its send window). Prints the
                          client port.
"""
import socket
import sys
import time

from scapy.all import ICMP, IP, TCP, AsyncSniffer, conf, send  # noqa: E402


def server(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(8)
    srv.settimeout(60)
    while True:
        conn, _ = srv.accept()
        conn.sendall(b"x" * 1000)
        time.sleep(5)
        conn.close()


def client(vip, port, mtu):
    conf.verb = 0
    def from_backend(p):
        return TCP in p and p[IP].src == vip and p[TCP].sport == port

    sniff = AsyncSniffer(iface="eth0", lfilter=from_backend)
    sniff.start()
    time.sleep(0.5)
    sock = socket.create_connection((vip, port), timeout=3)
    got = b""
    while len(got) < 1000:
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    time.sleep(0.3)
    packets = sniff.stop()
    last = packets[-1]
    seq_next = last[TCP].seq + len(last[TCP].payload)
    me, cport = sock.getsockname()
    quoted = IP(src=vip, dst=me, flags="DF") / TCP(sport=port, dport=cport, seq=seq_next, flags="A")
    error = IP(src=me, dst=vip) / ICMP(type=3, code=4, nexthopmtu=mtu) / bytes(quoted)[:28]
    send(error)
    print(cport, flush=True)
    time.sleep(1)
    sock.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
