"""client_ip / ClientIP: headers believed only through trusted proxies, the chain walked from the
right, spoofing attempts, IPv6 and IPv4-mapped IPv6, Forwarded (RFC 7239), repeated header lines,
garbage, and configuration errors."""

from __future__ import annotations

import pytest

from webaccel.http import ClientIP, client_ip

LB = ["10.0.0.0/8"]


def test_untrusted_peer_headers_ignored():
    # A client connecting directly cannot choose its address by sending headers.
    assert client_ip("203.0.113.7", {"X-Forwarded-For": "1.2.3.4"}) == "203.0.113.7"
    assert client_ip("203.0.113.7", {"X-Forwarded-For": "1.2.3.4"}, trusted_proxies=LB) == "203.0.113.7"
    assert client_ip("203.0.113.7", {"Forwarded": "for=1.2.3.4"}, header="forwarded") == "203.0.113.7"


def test_trusted_proxy_appends_peer():
    assert client_ip("127.0.0.1", {"X-Forwarded-For": "198.51.100.9"}) == "198.51.100.9"
    assert client_ip("127.0.0.1", {}) == "127.0.0.1"


def test_spoofed_header_through_one_trusted_proxy():
    # The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the real address.
    headers = {"x-forwarded-for": "6.6.6.6, 198.51.100.9"}
    assert client_ip("10.0.0.2", headers, trusted_proxies=LB) == "198.51.100.9"
    # The client pretends to be a trusted proxy too: still the rightmost untrusted address.
    headers = {"x-forwarded-for": "6.6.6.6, 10.9.9.9, 198.51.100.9"}
    assert client_ip("10.0.0.2", headers, trusted_proxies=LB) == "198.51.100.9"


def test_chain_of_trusted_proxies_skipped():
    headers = [("X-Forwarded-For", "198.51.100.9, 10.1.1.1, 10.2.2.2")]
    assert client_ip("10.0.0.2", headers, trusted_proxies=LB) == "198.51.100.9"
    # Every hop trusted: the leftmost trusted hop reached.
    assert client_ip("10.0.0.2", [("X-Forwarded-For", "10.1.1.1, 10.2.2.2")], trusted_proxies=LB) == "10.1.1.1"


@pytest.mark.parametrize("garbage", ["not-an-ip", "", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4:99999",
                                     "unknown", "_hidden", "fe80::1%eth0", "[::1", "::1]"])
def test_garbage_stops_at_last_trusted_hop(garbage):
    headers = {"X-Forwarded-For": f"198.51.100.9, {garbage}, 10.2.2.2"}
    assert client_ip("10.0.0.2", headers, trusted_proxies=LB) == "10.2.2.2"
    assert client_ip("10.0.0.2", {"X-Forwarded-For": garbage}, trusted_proxies=LB) == "10.0.0.2"


def test_ports_ipv6_and_mapped():
    assert client_ip("127.0.0.1", {"X-Forwarded-For": "198.51.100.9:4711"}) == "198.51.100.9"
    assert client_ip("::1", {"X-Forwarded-For": "2001:db8::1"}) == "2001:db8::1"
    assert client_ip("::1", {"X-Forwarded-For": "[2001:db8::1]:4711"}) == "2001:db8::1"
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d: trusted as 127.0.0.1.
    assert client_ip("::ffff:127.0.0.1", {"X-Forwarded-For": "198.51.100.9"}) == "198.51.100.9"
    assert client_ip("::1", {"X-Forwarded-For": "::ffff:198.51.100.9"}) == "198.51.100.9"
    # ... and an untrusted mapped peer is returned in its IPv4 form.
    assert client_ip("::ffff:203.0.113.7", {"X-Forwarded-For": "1.1.1.1"}) == "203.0.113.7"
    assert client_ip("2001:db8::5", {"X-Forwarded-For": "1.1.1.1"}, trusted_proxies=["2001:db8::/64"]) == "1.1.1.1"


def test_forwarded_rfc7239():
    f = {"Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1'}
    assert client_ip("127.0.0.1", f, header="forwarded") == "2001:db8:cafe::17"
    f = {"Forwarded": "for=6.6.6.6, For=198.51.100.9;proto=http, for=10.1.1.1"}
    assert client_ip("10.0.0.2", f, header="Forwarded", trusted_proxies=LB) == "198.51.100.9"
    # Obfuscated or unknown identifiers are never returned: the walk stops at the last trusted hop.
    for node in ("_hidden", "unknown", '"_gazonk"'):
        f = {"Forwarded": f"for=198.51.100.9, for={node}"}
        assert client_ip("127.0.0.1", f, header="forwarded") == "127.0.0.1"
    # An element without for=, or with two, is unreadable.
    assert client_ip("127.0.0.1", {"Forwarded": "proto=https"}, header="forwarded") == "127.0.0.1"
    assert client_ip("127.0.0.1", {"Forwarded": "for=1.1.1.1;for=2.2.2.2"}, header="forwarded") == "127.0.0.1"
    # A comma inside a quoted value does not split elements.
    f = {"Forwarded": 'for=198.51.100.9;ext="a,b"'}
    assert client_ip("127.0.0.1", f, header="forwarded") == "198.51.100.9"


def test_multiple_header_lines_in_order():
    headers = [(b"x-forwarded-for", b"6.6.6.6"), (b"host", b"x"), (b"X-Forwarded-For", b"198.51.100.9, 10.3.3.3")]
    assert client_ip("10.0.0.2", headers, trusted_proxies=LB) == "198.51.100.9"
    headers = [("x-forwarded-for", "198.51.100.9"), ("x-forwarded-for", "10.3.3.3")]
    assert client_ip("10.0.0.2", headers, trusted_proxies=LB) == "198.51.100.9"


def test_x_real_ip_and_asgi_peer():
    assert client_ip(("127.0.0.1", 5000), [(b"x-real-ip", b"198.51.100.9")], header="X-Real-IP") == "198.51.100.9"
    assert client_ip(None, {}) is None
    assert client_ip("/run/app.sock", {"X-Forwarded-For": "1.1.1.1"}) == "/run/app.sock"


def test_headers_objects():
    from starlette.datastructures import Headers
    from werkzeug.datastructures import Headers as WHeaders

    h = Headers(raw=[(b"x-forwarded-for", b"6.6.6.6"), (b"x-forwarded-for", b"198.51.100.9")])
    assert client_ip("127.0.0.1", h) == "198.51.100.9"
    w = WHeaders([("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.9")])
    assert client_ip("127.0.0.1", w) == "198.51.100.9"


def test_reusable_object():
    resolver = ClientIP(trusted_proxies=["10.0.0.0/8", "fd00::/8"], header="X-Forwarded-For")
    assert resolver.header == "x-forwarded-for"
    assert resolver.trusted_proxies == ["10.0.0.0/8", "fd00::/8"]
    assert resolver.get("10.0.0.2", {"x-forwarded-for": "198.51.100.9"}) == "198.51.100.9"
    assert resolver.get("fd00::2", {"x-forwarded-for": "198.51.100.9"}) == "198.51.100.9"
    assert resolver.get("203.0.113.7", {"x-forwarded-for": "198.51.100.9"}) == "203.0.113.7"
    with pytest.raises(AttributeError):
        resolver.header = "x"  # type: ignore[misc]
    assert ClientIP().trusted_proxies == ["127.0.0.1/32", "::1/128"]


@pytest.mark.parametrize("bad", ["10.0.0.1/8", "10.0.0.0/33", "::1/129", "nope", "10.0.0.0/", "10.0.0.0/-1",
                                 "10.0.0.0/+8", "fe80::/10%eth0"])
def test_invalid_networks(bad):
    with pytest.raises(ValueError, match="invalid network"):
        ClientIP(trusted_proxies=[bad])
    with pytest.raises(ValueError):
        client_ip("127.0.0.1", {}, trusted_proxies=[bad])


def test_invalid_config_types():
    with pytest.raises(TypeError):
        ClientIP(trusted_proxies="10.0.0.0/8")
    with pytest.raises(ValueError, match="header"):
        ClientIP(header="bad header")
    with pytest.raises(TypeError):
        client_ip("127.0.0.1", [(1, 2)])
