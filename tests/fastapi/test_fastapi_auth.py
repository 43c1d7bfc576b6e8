"""webaccel.fastapi.auth.JWTBearer through FastAPI's TestClient: claims returned, OpenAPI security
scheme, RFC 6750 challenges on 401/403, scopes and roles, JWKS-backed verification."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Security
from fastapi.testclient import TestClient

from webaccel import auth
from webaccel.fastapi.auth import JWTBearer, claim_scopes

SECRET = "fastapi-test-secret-that-is-long-enough"
AUD = "api"
ISS = "https://id.example.com/"


def make_token(**claims: Any) -> str:
    base = {"sub": "u1", "aud": AUD, "iss": ISS, "exp": int(time.time()) + 600}
    return auth.jwt_encode({**base, **claims}, SECRET, "HS256")


bearer = JWTBearer(key=SECRET, algorithms=["HS256"], audience=AUD, issuer=ISS, realm="api")
optional = JWTBearer(key=SECRET, algorithms=["HS256"], audience=AUD, issuer=ISS, auto_error=False, scheme_name="optional")
admins = JWTBearer(key=SECRET, algorithms=["HS256"], audience=AUD, issuer=ISS, roles=["admin"], scheme_name="admins")

app = FastAPI()


@app.get("/me")
async def me(claims: Annotated[dict[str, Any], Depends(bearer)]) -> dict[str, Any]:
    return {"sub": claims["sub"]}


@app.get("/items")
def items(claims: Annotated[dict[str, Any], Security(bearer, scopes=["items:read"])]) -> list[int]:
    return [1, 2]


@app.get("/maybe")
async def maybe(claims: Annotated[dict[str, Any] | None, Depends(optional)]) -> dict[str, Any]:
    return {"sub": claims["sub"] if claims else None}


@app.get("/admin")
async def admin(claims: Annotated[dict[str, Any], Depends(admins)]) -> str:
    return "ok"


client = TestClient(app)


def get(path: str, token: str | None = None, scheme: str = "Bearer") -> Any:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return client.get(path, headers=headers)


def test_valid_token_returns_claims() -> None:
    r = get("/me", make_token())
    assert r.status_code == 200 and r.json() == {"sub": "u1"}
    assert get("/me", make_token(), scheme="bearer").status_code == 200


def test_missing_credentials_is_401_with_a_bare_challenge() -> None:
    for r in (get("/me"), get("/me", make_token(), scheme="Basic"), get("/me", "")):
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Bearer realm="api"'


def test_invalid_tokens_are_401_invalid_token() -> None:
    cases = [
        make_token(exp=int(time.time()) - 10),
        make_token(aud="other"),
        make_token(iss="https://id.example.com.evil/"),
        make_token()[:-2] + "xx",
        "not-a-token",
        auth.jwt_encode({"sub": "u1", "aud": AUD, "iss": ISS}, "x" * 40, "HS256"),
    ]
    for token in cases:
        r = get("/me", token)
        assert r.status_code == 401, token
        challenge = r.headers["www-authenticate"]
        assert challenge.startswith('Bearer realm="api", error="invalid_token", error_description="')
    assert "expired" in get("/me", cases[0]).headers["www-authenticate"]


def test_scopes_from_security() -> None:
    assert get("/items", make_token(scope="items:read items:write")).status_code == 200
    r = get("/items", make_token(scope="items:write"))
    assert r.status_code == 403
    assert r.headers["www-authenticate"] == 'Bearer realm="api", error="insufficient_scope", scope="items:read"'
    assert get("/items", make_token(scp=["items:read"])).status_code == 200
    assert get("/items", make_token()).status_code == 403


def test_roles() -> None:
    assert get("/admin", make_token(roles=["admin", "x"])).status_code == 200
    assert get("/admin", make_token(roles="admin")).status_code == 200
    assert get("/admin", make_token(roles=["editor"])).status_code == 403
    assert get("/admin", make_token(roles=[{"a": 1}])).status_code == 403


def test_optional_authentication() -> None:
    assert get("/maybe").json() == {"sub": None}
    assert get("/maybe", make_token()).json() == {"sub": "u1"}
    assert get("/maybe", "garbage").status_code == 401  # a bad token is still refused


def test_openapi_shows_the_bearer_scheme() -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["JWTBearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schema["paths"]["/me"]["get"]["security"] == [{"JWTBearer": []}]
    assert schema["paths"]["/admin"]["get"]["security"] == [{"admins": []}]


def test_claim_scopes() -> None:
    assert claim_scopes({"scope": "a b  c"}) == {"a", "b", "c"}
    assert claim_scopes({"scp": ["a", 1]}) == {"a"}
    assert claim_scopes({"perm": ["x"]}, "perm") == {"x"}
    assert claim_scopes({}) == set()


def test_jwks_backed_bearer() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    priv = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwks = {"keys": [{**auth.JWTKey.from_pem(priv).public_jwk(), "kid": "e1"}]}
    fetched: list[str] = []

    async def fetch(url: str, timeout: float, max_size: int) -> bytes:
        fetched.append(url)
        return json.dumps(jwks).encode()

    verifier = auth.JWKSVerifier(auth.JWKSClient("https://issuer.test/jwks", fetch=fetch), ["EdDSA"], audience=AUD)
    jwks_app = FastAPI()
    dep = JWTBearer(verifier)

    @jwks_app.get("/me")
    async def jwks_me(claims: dict[str, Any] = Depends(dep)) -> Any:  # noqa: B008 (a local dependency)
        return claims["sub"]

    c = TestClient(jwks_app)
    token = auth.jwt_encode({"sub": "k", "aud": AUD}, priv, "EdDSA", {"kid": "e1"})
    assert c.get("/me", headers={"Authorization": f"Bearer {token}"}).json() == "k"
    forged = auth.jwt_encode({"sub": "k", "aud": AUD}, priv, "EdDSA", {"kid": "nope"})
    assert c.get("/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert fetched == ["https://issuer.test/jwks"] * 2  # the first load, one refetch for the unknown kid
