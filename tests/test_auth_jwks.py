"""JWKSClient / JWKSVerifier against a real HTTP server on 127.0.0.1, with an injected clock:
caching, TTL, key rotation, failures, the bounded refetch rate on unknown kid (CVE-2026-48524),
and fetching off the event loop."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from webaccel import auth
from webaccel.auth import JWKSClient, JWKSFetchError, JWKSVerifier, JWTKey, UnknownKeyError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_key(kid: str) -> tuple[bytes, dict[str, Any]]:
    priv = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return priv, {**JWTKey.from_pem(priv).public_jwk(), "kid": kid}


class Server:
    def __init__(self) -> None:
        self.doc: bytes = b""
        self.status = 200
        self.hits = 0
        self.seen = threading.Event()
        self.gate: threading.Event | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.hits += 1
                server.seen.set()
                if server.gate is not None:
                    server.gate.wait(10)
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.doc)))
                self.end_headers()
                self.wfile.write(server.doc)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, *jwks: dict[str, Any]) -> None:
        self.doc = json.dumps({"keys": list(jwks)}).encode()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def k1() -> tuple[bytes, dict[str, Any]]:
    return make_key("k1")


def token(priv: bytes, kid: str, **claims: Any) -> str:
    return auth.jwt_encode({"sub": "u", **claims}, priv, "ES256", {"kid": kid})


def test_fetch_once_then_cache_then_ttl(server: Server, k1: tuple[bytes, dict[str, Any]]) -> None:
    server.publish(k1[1])
    clock = Clock()
    client = JWKSClient(server.url, cache_ttl=300, clock=clock)

    async def run() -> None:
        a = await client.get_key_set()
        b = await client.get_key_set()
        assert a is b and a.kids == ["k1"] and server.hits == 1
        clock.now += 299
        await client.get_key_set()
        assert server.hits == 1
        clock.now += 1
        await client.get_key_set()
        assert server.hits == 2 == client.fetch_count
        assert (await client.get_signing_key("k1")).kid == "k1"

    asyncio.run(run())


def test_unknown_kid_refetch_is_rate_limited(server: Server, k1: tuple[bytes, dict[str, Any]]) -> None:
    """CVE-2026-48524: forged kids must not make every request a JWKS fetch."""
    server.publish(k1[1])
    clock = Clock()
    verifier = JWKSVerifier(JWKSClient(server.url, min_refetch_interval=30, clock=clock), ["ES256"])
    attacker, _ = make_key("x")

    async def run() -> None:
        assert (await verifier.decode(token(k1[0], "k1")))["sub"] == "u"
        assert server.hits == 1
        for i in range(200):
            with pytest.raises(UnknownKeyError):
                await verifier.decode(token(attacker, f"forged-{i}"))
        assert server.hits == 2  # one refetch for the first unknown kid, then none within 30 s
        clock.now += 29.9
        with pytest.raises(UnknownKeyError):
            await verifier.decode(token(attacker, "again"))
        assert server.hits == 2
        clock.now += 0.1
        with pytest.raises(UnknownKeyError):
            await verifier.decode(token(attacker, "later"))
        assert server.hits == 3

    asyncio.run(run())


def test_concurrent_unknown_kids_share_one_fetch(server: Server, k1: tuple[bytes, dict[str, Any]]) -> None:
    server.publish(k1[1])
    verifier = JWKSVerifier(JWKSClient(server.url, clock=Clock()), ["ES256"])
    attacker, _ = make_key("x")
    tokens = [token(attacker, f"kid-{i}") for i in range(50)]

    async def run() -> list[Any]:
        await verifier.decode(token(k1[0], "k1"))
        return await asyncio.gather(*(verifier.decode(t) for t in tokens), return_exceptions=True)

    results = asyncio.run(run())
    assert all(isinstance(r, UnknownKeyError) for r in results)
    assert server.hits == 2


def test_key_rotation_is_picked_up(server: Server, k1: tuple[bytes, dict[str, Any]]) -> None:
    server.publish(k1[1])
    clock = Clock()
    verifier = JWKSVerifier(JWKSClient(server.url, clock=clock), ["ES256"], audience="api")
    k2 = make_key("k2")

    async def run() -> None:
        assert (await verifier.decode(token(k1[0], "k1", aud="api")))["aud"] == "api"
        server.publish(k1[1], k2[1])  # the issuer rotates: a new key appears
        assert (await verifier.decode(token(k2[0], "k2", aud="api")))["aud"] == "api"
        assert server.hits == 2
        server.publish(k2[1])  # the old key is retired; the cache still has it until the TTL
        clock.now += 300
        with pytest.raises(UnknownKeyError):
            await verifier.decode(token(k1[0], "k1", aud="api"))

    asyncio.run(run())


def test_failures_keep_the_cached_set_and_are_rate_limited(server: Server, k1: tuple[bytes, dict[str, Any]]) -> None:
    clock = Clock()
    client = JWKSClient(server.url, clock=clock, min_refetch_interval=30)
    verifier = JWKSVerifier(client, ["ES256"])
    good = token(k1[0], "k1")

    async def run() -> None:
        server.status = 500
        with pytest.raises(JWKSFetchError):
            await verifier.decode(good)
        with pytest.raises(JWKSFetchError, match="next is allowed"):  # no hammering a failing endpoint
            await verifier.decode(good)
        assert server.hits == 1
        server.status = 200
        server.publish(k1[1])
        clock.now += 30
        assert (await verifier.decode(good))["sub"] == "u"
        server.status = 503
        clock.now += 400  # TTL expired, the refetch fails: the cached keys keep answering
        assert (await verifier.decode(good))["sub"] == "u"
        assert (await verifier.decode(good))["sub"] == "u"
        assert server.hits == 3

    asyncio.run(run())


def test_the_fetch_does_not_block_the_event_loop(server: Server, k1: tuple[bytes, dict[str, Any]]) -> None:
    server.publish(k1[1])
    server.gate = threading.Event()
    client = JWKSClient(server.url, clock=Clock())

    async def run() -> None:
        fetch = asyncio.create_task(client.get_key_set())
        # The loop keeps running while the server holds the request: it sees the request arrive
        # (from a thread) and only then releases it. A blocking fetch would deadlock here until
        # the server's 10 s safety timeout, and the assertion below would fail.
        assert await asyncio.to_thread(server.seen.wait, 5)
        assert not fetch.done()
        assert server.gate is not None
        server.gate.set()
        assert (await fetch).kids == ["k1"]

    asyncio.run(run())


def test_sync_path_for_threads(server: Server, k1: tuple[bytes, dict[str, Any]]) -> None:
    server.publish(k1[1])
    clock = Clock()
    verifier = JWKSVerifier(JWKSClient(server.url, clock=clock), ["ES256"])
    attacker, _ = make_key("x")
    assert verifier.decode_sync(token(k1[0], "k1"))["sub"] == "u"
    for i in range(20):
        with pytest.raises(UnknownKeyError):
            verifier.decode_sync(token(attacker, f"f{i}"))
    assert server.hits == 2


def test_injected_transport_and_limits() -> None:
    _, jwk = make_key("t")
    calls: list[str] = []

    async def fetch(url: str, timeout: float, max_size: int) -> bytes:
        calls.append(url)
        return json.dumps({"keys": [jwk]}).encode()

    client = JWKSClient("https://issuer.invalid/jwks", fetch=fetch, clock=Clock())
    assert asyncio.run(client.get_key_set()).kids == ["t"] and calls == ["https://issuer.invalid/jwks"]

    async def broken(url: str, timeout: float, max_size: int) -> bytes:
        return b'{"keys": [{"kty": "oct", "use": "enc", "k": "AAAA"}]}'

    with pytest.raises(JWKSFetchError, match="unusable"):
        asyncio.run(JWKSClient("https://issuer.invalid/jwks", fetch=broken).get_key_set())
    with pytest.raises(JWKSFetchError, match="http"):
        auth.urllib_fetch("file:///etc/passwd", 1, 100)


def test_oversized_jwks_is_refused(server: Server, k1: tuple[bytes, dict[str, Any]]) -> None:
    server.publish(*[{**k1[1], "kid": f"k{i}"} for i in range(50)])
    client = JWKSClient(server.url, max_size=1000, clock=Clock())
    with pytest.raises(JWKSFetchError, match="larger"):
        asyncio.run(client.get_key_set())
