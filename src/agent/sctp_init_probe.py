#!/usr/bin/env python3
"""SCTP health probe for the amphora agent, run inside the amphora's network namespace.

Usage: sctp_init_probe.py <address> <port> <timeout-ms>; exit 0 when the member answers an
INIT with an INIT ACK (it runs an SCTP endpoint on that port), 1 otherwise (ABORT, silence).
The association is never completed: an ABORT tells the member to forget it at once.

Packets are built and read here over a raw IP socket, so the probe works whether or not the
host kernel has SCTP sockets (this machine's has not). The module also holds the packet
helpers the test suite's userspace SCTP peer uses (test/helpers/sctp_fake_peer.py).
"""
import os
import select
import socket
import struct
import sys
import time

IPPROTO_SCTP = 132
INIT, INIT_ACK, ABORT, COOKIE_ECHO, COOKIE_ACK = 1, 2, 6, 10, 11


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def packet(sport: int, dport: int, vtag: int, chunks: bytes) -> bytes:
    """An SCTP packet: common header with the CRC32c (stored little-endian, RFC 4960 B)."""
    header = struct.pack('!HHII', sport, dport, vtag, 0)
    checksum = crc32c(header + chunks)
    return struct.pack('!HHI', sport, dport, vtag) + struct.pack('<I', checksum) + chunks


def chunk(kind: int, flags: int, value: bytes) -> bytes:
    length = 4 + len(value)
    return struct.pack('!BBH', kind, flags, length) + value + b'\0' * (-length % 4)


def init_chunk(kind: int, tag: int, tsn: int, params: bytes = b'') -> bytes:
    """INIT or INIT ACK: initiate tag, a_rwnd, outbound/inbound streams, initial TSN."""
    return chunk(kind, 0, struct.pack('!IIHHI', tag, 65535, 1, 1, tsn) + params)


def parse(datagram: bytes):
    """A received raw datagram (IPv4 header included) → (src address, sport, dport, vtag, chunks)."""
    ihl = (datagram[0] & 0x0F) * 4
    src = socket.inet_ntoa(datagram[12:16])
    sctp = datagram[ihl:]
    if len(sctp) < 12:
        return None
    sport, dport, vtag = struct.unpack('!HHI', sctp[:8])
    chunks = []
    at = 12
    while at + 4 <= len(sctp):
        kind, flags, length = struct.unpack('!BBH', sctp[at:at + 4])
        if length < 4:
            break
        chunks.append((kind, flags, sctp[at + 4:at + length]))
        at += length + (-length % 4)
    return src, sport, dport, vtag, chunks


def raw_socket() -> socket.socket:
    return socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)


def wait_for(sock, match, deadline: float):
    """The first parsed packet `match` accepts before `deadline`, or None."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return None
        parsed = parse(sock.recv(65535))
        if parsed and match(parsed):
            return parsed


def probe(address: str, port: int, timeout_ms: int) -> bool:
    sock = raw_socket()
    sport = 32768 + int.from_bytes(os.urandom(2), 'big') % 28000
    tag = int.from_bytes(os.urandom(4), 'big') or 1
    sock.sendto(packet(sport, port, 0, init_chunk(INIT, tag, tag)), (address, 0))
    deadline = time.monotonic() + timeout_ms / 1000
    answer = wait_for(sock, lambda p: p[1] == port and p[2] == sport and p[3] == tag, deadline)
    if not answer:
        return False
    kinds = [c[0] for c in answer[4]]
    if INIT_ACK not in kinds:
        return False
    peer_tag = struct.unpack('!I', answer[4][kinds.index(INIT_ACK)][2][:4])[0]
    sock.sendto(packet(sport, port, peer_tag, chunk(ABORT, 0, b'')), (address, 0))
    return True


if __name__ == '__main__':
    sys.exit(0 if probe(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])) else 1)
