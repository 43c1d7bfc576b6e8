"""webaccel.flask.auth (@jwt_required / @jwt_optional) through Flask's test client: claims on
flask.g, WEBACCEL_JWT_* configuration, RFC 6750 401/403 answers, scopes and roles."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, g

from webaccel import auth
from webaccel.flask import WebAccel
from webaccel.flask.auth import get_jwt_claims, jwt_optional, jwt_required

SECRET = "flask-test-secret-long-enough-for-hs256"


def token(key: Any = SECRET, alg: str = "HS256", **claims: Any) -> str:
    base = {"sub": "u1", "aud": "api", "iss": "issuer", "exp": int(time.time()) + 600}
    return auth.jwt_encode({**base, **claims}, key, alg)


def make_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(
        WEBACCEL_JWT_SECRET=SECRET, WEBACCEL_JWT_ALGORITHMS=["HS256"], WEBACCEL_JWT_AUDIENCE="api",
        WEBACCEL_JWT_ISSUER="issuer", WEBACCEL_JWT_REALM="flask-api",
    )
    app.config.update(config)
    WebAccel(app)

    @app.get("/me")
    @jwt_required
    def me() -> Any:
        return {"sub": g.jwt_claims["sub"], "same": get_jwt_claims() is g.jwt_claims}

    @app.get("/maybe")
    @jwt_optional
    def maybe() -> Any:
        claims = get_jwt_claims()
        return {"sub": claims["sub"] if claims else None}

    @app.get("/write")
    @jwt_required(scopes=["items:write"])
    def write() -> Any:
        return {"ok": True}

    @app.get("/admin")
    @jwt_required(roles=["admin"])
    async def admin() -> Any:
        return {"ok": True}

    return app


def call(app: Flask, path: str, tok: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {tok}"} if tok is not None else {}
    return app.test_client().get(path, headers=headers)


def test_claims_on_g() -> None:
    r = call(make_app(), "/me", token())
    assert r.status_code == 200 and r.json == {"sub": "u1", "same": True}


def test_missing_token_is_401_with_challenge() -> None:
    r = call(make_app(), "/me")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="flask-api"'
    assert r.json["error"] == "unauthorized"


def test_invalid_tokens_are_401_invalid_token() -> None:
    app = make_app()
    for bad in (token(exp=1), token(aud="x"), token(iss="issuer2"), token()[:-2] + "zz", "x.y.z", token(key="k" * 40)):
        r = call(app, "/me", bad)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"].startswith('Bearer realm="flask-api", error="invalid_token"')
        assert r.json["error"] == "invalid_token"
    assert call(app, "/me", token(exp=1)).json["error_description"] == "The token has expired"


def test_optional() -> None:
    app = make_app()
    assert call(app, "/maybe").json == {"sub": None}
    assert call(app, "/maybe", token()).json == {"sub": "u1"}
    assert call(app, "/maybe", "garbage").status_code == 401


def test_scopes_and_roles() -> None:
    app = make_app()
    assert call(app, "/write", token(scope="items:read items:write")).status_code == 200
    r = call(app, "/write", token(scope="items:read"))
    assert r.status_code == 403 and 'error="insufficient_scope", error_description="Insufficient scope", scope="items:write"' in r.headers["WWW-Authenticate"]
    assert call(app, "/admin", token(roles=["admin"])).json == {"ok": True}
    assert call(app, "/admin", token(roles=["user"])).status_code == 403


def test_config_leeway_typ_require_and_public_key() -> None:
    priv = ec.generate_private_key(ec.SECP256R1())
    pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    pub = priv.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    app = make_app(
        WEBACCEL_JWT_SECRET=None, WEBACCEL_JWT_KEY=pub, WEBACCEL_JWT_ALGORITHMS=["ES256"], WEBACCEL_JWT_LEEWAY=30,
        WEBACCEL_JWT_REQUIRE=["exp", "sub"],
    )
    assert call(app, "/me", token(pem, "ES256", exp=int(time.time()) - 10)).status_code == 200  # within leeway
    assert call(app, "/me", token(pem, "ES256", exp=int(time.time()) - 60)).status_code == 401
    no_sub = auth.jwt_encode({"aud": "api", "iss": "issuer", "exp": int(time.time()) + 60}, pem, "ES256")
    assert call(app, "/me", no_sub).status_code == 401
    # The public key is never an HMAC secret, even if the algorithms list allows HS256.
    forged = auth.jwt_encode({"sub": "x", "aud": "api", "iss": "issuer"}, auth.JWTKey.from_secret(b"y" * 32), "HS256")
    assert call(make_app(WEBACCEL_JWT_SECRET=None, WEBACCEL_JWT_KEY=pub, WEBACCEL_JWT_ALGORITHMS=["ES256", "HS256"]), "/me", forged).status_code == 401
    typed = make_app(WEBACCEL_JWT_TYP="at+jwt")
    assert call(typed, "/me", token()).status_code == 401
    at = auth.jwt_encode({"sub": "u1", "aud": "api", "iss": "issuer"}, SECRET, headers={"typ": "at+jwt"})
    assert call(typed, "/me", at).status_code == 200


def test_misconfiguration_fails_at_init() -> None:
    with pytest.raises(TypeError, match="ALGORITHMS"):
        make_app(WEBACCEL_JWT_ALGORITHMS=None)
    with pytest.raises(TypeError, match="only one"):
        make_app(WEBACCEL_JWT_KEY="-----BEGIN PUBLIC KEY-----")
    with pytest.raises(auth.InvalidKeyError):
        make_app(WEBACCEL_JWT_SECRET="short")
    app = Flask(__name__)
    app.testing = True  # let the exception reach the test instead of a 500 page
    WebAccel(app)

    @app.get("/x")
    @jwt_required
    def x() -> str:
        return "x"

    with pytest.raises(RuntimeError, match="WEBACCEL_JWT_SECRET"):
        app.test_client().get("/x", headers={"Authorization": "Bearer a.b.c"})


def test_without_the_extension_config_is_read_lazily() -> None:
    app = Flask(__name__)
    app.config.update(WEBACCEL_JWT_SECRET=SECRET, WEBACCEL_JWT_ALGORITHMS=["HS256"])

    @app.get("/x")
    @jwt_required
    def x() -> Any:
        return {"sub": g.jwt_claims["sub"]}

    assert call(app, "/x", auth.jwt_encode({"sub": "lazy"}, SECRET)).json == {"sub": "lazy"}


def test_jwt_subject_keys_a_per_user_limit_and_refuses_requests_without_a_user() -> None:
    from webaccel.flask.auth import jwt_subject
    from webaccel.flask.ratelimit import limit

    app = make_app()

    @app.get("/limited")
    @jwt_required
    @limit("2/minute", key=jwt_subject)
    def limited() -> Any:
        return {"sub": jwt_subject()}

    @app.get("/anonymous")
    @jwt_optional
    @limit("2/minute", key=jwt_subject)
    def anonymous() -> Any:
        return {"ok": True}

    @app.get("/numeric")
    @jwt_required
    def numeric() -> Any:
        return {"sub": jwt_subject()}

    client = app.test_client()
    alice = {"Authorization": f"Bearer {token(sub='alice')}"}
    assert [client.get("/limited", headers=alice).status_code for _ in range(3)] == [200, 200, 429]
    bob = client.get("/limited", headers={"Authorization": f"Bearer {token(sub='bob')}"})
    assert bob.get_json() == {"sub": "bob"}
    # (a non-string "sub" never gets here: the verifier refuses it, as PyJWT does)
    assert client.get("/numeric", headers={"Authorization": f"Bearer {token(sub=7)}"}).status_code == 401
    app.testing = True  # the LookupError reaches the test, not a 500 page
    with pytest.raises(LookupError, match="no verified JWT claims"):
        client.get("/anonymous")
    no_sub = auth.jwt_encode({"aud": "api", "iss": "issuer", "exp": int(time.time()) + 600}, SECRET, "HS256")
    with pytest.raises(LookupError, match="no \"sub\" claim"):
        client.get("/numeric", headers={"Authorization": f"Bearer {no_sub}"})
