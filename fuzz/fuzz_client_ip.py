#!/usr/bin/env python3
"""``webaccel.http.client_ip`` / ``ClientIP``: no reference library, so "typed results only",
checked against the rule the function promises:

- it never raises for any header content (only construction validates), returns ``str`` or
  ``None``;
- a peer outside the trusted networks is returned as it is (headers never read);
- otherwise the answer is the peer or one of the listed hops, in canonical form
  (``ipaddress.ip_address(answer)`` gives the same text back), and an untrusted answer is never
  to the left of a hop that was skipped as unreadable.

Input: byte 0 picks the peer, byte 1 the header (``x-forwarded-for``, ``forwarded``,
``x-real-ip``), the rest (Latin-1) is the header value, split on newlines into repeated lines.

Run: ``.venv/bin/python fuzz/fuzz_client_ip.py -max_total_time=30 fuzz/seeds/client_ip``.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fuzzlib import Mismatch, only, run  # noqa: E402

import webaccel.http as wa  # noqa: E402

NAME = "client_ip"
TRUSTED = ["10.0.0.0/8", "127.0.0.1/32", "::1/128", "2001:db8::/32"]
PEERS = ["10.0.0.1", "127.0.0.1", "::1", "8.8.8.8", "2001:db8::5", "::ffff:10.1.2.3", "unix:/tmp/s", ("10.9.9.9", 443)]
HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"]
RESOLVERS = {h: wa.ClientIP(trusted_proxies=TRUSTED, header=h) for h in HEADERS}
NETWORKS = [ipaddress.ip_network(n) for n in TRUSTED]


def trusted(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in n for n in NETWORKS)


def mapped_ipv4(lines: list[str]) -> set[str]:
    """The IPv4 addresses written in the headers as IPv4-mapped IPv6 (``::ffff:ff:0`` is
    ``0.255.0.0``): client_ip answers those in their IPv4 form."""
    found = set()
    for token in re.split(r'[\s,;="\[\]]+', "\n".join(lines)):
        for candidate in (token, token.rsplit(":", 1)[0]):
            try:
                ip = ipaddress.ip_address(candidate)
            except ValueError:
                continue
            mapped = getattr(ip, "ipv4_mapped", None)
            if mapped is not None:
                found.add(str(mapped))
    return found


def check(data: bytes) -> None:
    if len(data) < 2:
        data = data + b"\0\0"
    peer = PEERS[data[0] % len(PEERS)]
    header = HEADERS[data[1] % len(HEADERS)]
    lines = data[2:].decode("latin-1").split("\n")
    for hop in ",".join(lines).split(","):  # ipaddress, instrumented, steers towards addresses
        trusted(hop.strip().strip("[]\"").removeprefix("for="))
    headers = [(header, line) for line in lines] + [("X-Other", "1.1.1.1")]
    ok, got = only((), "ClientIP.get", RESOLVERS[header].get, peer, headers)
    ok2, got2 = only((), "client_ip", wa.client_ip, peer, headers, trusted_proxies=TRUSTED, header=header)
    if got != got2:
        raise Mismatch(f"ClientIP.get {got!r} != client_ip {got2!r}")
    ok3, got3 = only((), "ClientIP.get(bytes)", RESOLVERS[header].get, peer,
                     [(n.encode(), v.encode("latin-1")) for n, v in headers])
    if got3 != got:
        raise Mismatch(f"bytes headers gave {got3!r}, str headers {got!r}")
    host = peer[0] if isinstance(peer, tuple) else peer
    if not isinstance(got, str):
        raise Mismatch(f"client_ip returned {got!r} for peer {peer!r}")
    if not trusted(host):
        if got != host:
            raise Mismatch(f"untrusted peer {host!r}: answered {got!r} from the headers")
        return
    peer_ip = ipaddress.ip_address(host)
    if got in (host, str(peer_ip), str(getattr(peer_ip, "ipv4_mapped", None))):
        return
    try:
        canonical = str(ipaddress.ip_address(got))
    except ValueError:
        raise Mismatch(f"answer {got!r} is not an IP address") from None
    if canonical != got:
        raise Mismatch(f"answer {got!r} is not canonical ({canonical})")
    if ":" not in got and got not in "\n".join(lines) and got not in mapped_ipv4(lines):
        # (IPv6 text may be written differently, so only IPv4 answers are looked up.)
        raise Mismatch(f"answer {got!r} appears nowhere in the headers {lines!r:.200}")


if __name__ == "__main__":
    run(NAME, check, ["ipaddress"])
