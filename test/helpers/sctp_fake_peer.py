#!/usr/bin/env python3
"""A FAKE SCTP endpoint for tests, in userspace over raw IP sockets: this machine's kernel has
no SCTP sockets (socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails with EPROTONOSUPPORT), so
neither `ncat --sctp` nor a kernel SCTP server can run here. It does only the four-way
handshake, enough to show an association reaching a member through the VIP.

  sctp_fake_peer.py serve <address> <port> <name>    answer INITs (state cookie = <name>) and
                                                     COOKIE ECHOs; prints "listening"
  sctp_fake_peer.py connect <address> <port> <timeout-ms>
                                                     INIT → INIT ACK → COOKIE ECHO → COOKIE ACK,
                                                     each sent again until answered; prints the
                                                     cookie (the member's name), exit 0; exit 1
                                                     with the step that failed on stderr
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'agent'))
from sctp_init_probe import (  # noqa: E402
    COOKIE_ACK, COOKIE_ECHO, INIT, INIT_ACK, chunk, init_chunk, packet, parse, raw_socket, wait_for,
)

STATE_COOKIE = 7


def serve(address: str, port: int, name: str) -> None:
    sock = raw_socket()
    sock.bind((address, 0))
    print('listening', flush=True)
    tag = int.from_bytes(os.urandom(4), 'big') or 1
    # The initiate tag of each client (address, port): the verification tag of our answers.
    peers = {}
    while True:
        parsed = parse(sock.recv(65535))
        if not parsed or parsed[2] != port:
            continue
        src, sport, _, _, chunks = parsed
        for kind, _, value in chunks:
            if kind == INIT and len(value) >= 16:
                peers[(src, sport)] = struct.unpack('!I', value[:4])[0]
                cookie = struct.pack('!HH', STATE_COOKIE, 4 + len(name)) + name.encode() + b'\0' * (-len(name) % 4)
                sock.sendto(packet(port, sport, peers[(src, sport)], init_chunk(INIT_ACK, tag, tag, cookie)), (src, 0))
            elif kind == COOKIE_ECHO and (src, sport) in peers:
                sock.sendto(packet(port, sport, peers[(src, sport)], chunk(COOKIE_ACK, 0, b'')), (src, 0))


def connect(address: str, port: int, timeout_ms: int) -> int:
    sock = raw_socket()
    sport = 32768 + int.from_bytes(os.urandom(2), 'big') % 28000
    tag = int.from_bytes(os.urandom(4), 'big') or 1
    deadline = time.monotonic() + timeout_ms / 1000
    ours = lambda p: p[1] == port and p[2] == sport and p[3] == tag  # noqa: E731
    # As a kernel endpoint's T1-init and T1-cookie timers do, each step is sent again until it is
    # answered: one lost packet delays an association, it does not fail it.
    answer = exchange(sock, address, packet(sport, port, 0, init_chunk(INIT, tag, tag)),
                      lambda p: ours(p) and p[4] and p[4][0][0] == INIT_ACK, deadline)
    if not answer:
        print(f'no INIT ACK from {address}:{port} (source port {sport})', file=sys.stderr)
        return 1
    value = answer[4][0][2]
    peer_tag = struct.unpack('!I', value[:4])[0]
    params = value[16:]
    cookie = b''
    while len(params) >= 4:
        kind, length = struct.unpack('!HH', params[:4])
        if kind == STATE_COOKIE:
            cookie = params[4:length]
        params = params[length + (-length % 4):]
    done = exchange(sock, address, packet(sport, port, peer_tag, chunk(COOKIE_ECHO, 0, cookie)),
                    lambda p: ours(p) and p[4] and p[4][0][0] == COOKIE_ACK, deadline)
    if not done:
        print(f'INIT ACK from {address}:{port} but no COOKIE ACK (source port {sport})', file=sys.stderr)
        return 1
    print(cookie.decode(), flush=True)
    return 0


def exchange(sock, address: str, request: bytes, match, deadline: float, every_s: float = 0.5):
    """Sends `request` every `every_s` until a packet `match` accepts arrives or `deadline` passes."""
    while time.monotonic() < deadline:
        sock.sendto(request, (address, 0))
        answer = wait_for(sock, match, min(deadline, time.monotonic() + every_s))
        if answer:
            return answer
    return None


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'serve':
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(connect(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
