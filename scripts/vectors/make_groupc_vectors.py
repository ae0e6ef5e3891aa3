#!/usr/bin/env python3
"""Generates Tests/HookRelayTests/Vectors/{standard-webhooks,svix,gitlab,paddle,zendesk,twitch,sendgrid,discord,plaid,paypal}.json.

Where the provider ships an SDK, headers are made and judged by it: `standardwebhooks` 1.1.0 and `svix` 2.9.1
(`Webhook.sign` / `Webhook.verify`, time patched), `paddle-python-sdk` (`Verifier(5).verify`, time patched),
`sendgrid` (`EventWebhook.verify_signature`), `discord-interactions` (`verify_key`, PyNaCl). Zendesk, Twitch, Plaid
and PayPal ship no Python verifier: their cases are computed with `hmac`/`cryptography` exactly as their docs
describe, and each file also carries the provider's own published example where one exists (see `published`).

Every case records `expect` (hookrelay's answer, written here by hand) and, where an SDK exists, `sdk` (its verdict);
they agree unless the case names a `deviation`. The asymmetric providers' keys are throw-away test keys made here.

Usage (SDKs are never committed):
    python3 -m venv /tmp/vec && /tmp/vec/bin/pip install standardwebhooks svix paddle-python-sdk sendgrid \
        discord-interactions cryptography
    /tmp/vec/bin/python scripts/vectors/make_groupc_vectors.py Tests/HookRelayTests/Vectors
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import zlib
from unittest import mock

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
PASS = {"valid": True}


def fail(code, reason=None):
    out = {"valid": False, "code": code}
    if reason:
        out["reason"] = reason
    return out


def case(name, headers, body, expect, sdk=None, deviation=None, **extra):
    out = {"name": name, "headers": [[k, v] for k, v in headers], "body": body, "now": extra.pop("now", NOW)}
    out.update(extra)
    if sdk is not None:
        out["sdk"] = sdk
        if deviation:
            out["deviation"] = deviation
        elif sdk["valid"] != expect["valid"]:
            sys.exit(f"{name}: the SDK says valid={sdk['valid']}, the expectation says {expect['valid']}")
    elif deviation:
        out["deviation"] = deviation
    out["expect"] = expect
    return out


def b64(data):
    return base64.b64encode(data).decode()


def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def pem_public(key):
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def frozen(module_time_path, now=NOW):
    return mock.patch(module_time_path, return_value=float(now))


# ----------------------------------------------------------------------------------------------- Standard Webhooks

def standard_webhooks(svix_names=False):
    import standardwebhooks.webhooks as swmod
    from standardwebhooks.webhooks import Webhook as SW, WebhookVerificationError
    import svix.webhooks as svixmod

    prefix = "svix" if svix_names else "webhook"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the spec's and Svix's documented secret
    old = "whsec_" + b64(b"hookrelay-previous-secret-32-bytes!")
    other = "whsec_" + b64(b"someone-else-entirely-32-bytes-ok")
    body = '{"type":"contact.created","timestamp":"2025-12-31T23:59:50.123456Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485","name":"Z\u00fcrich \U0001F680"}}'
    tampered = body.replace("Z\u00fcrich", "Zurich")
    msg_id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    seed = os.urandom(32)
    signer = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    whpk = "whpk_" + b64(signer.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    other_signer = ed25519.Ed25519PrivateKey.generate()

    def v1(sec, mid, ts, data):
        return SW(sec).sign(mid, datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc), data)

    def v1a(key, mid, ts, data):
        return "v1a," + b64(key.sign(f"{mid}.{ts}.{data}".encode()))

    def headers(mid, ts, sig):
        out = []
        if mid is not None:
            out.append((f"{prefix}-id", mid))
        if ts is not None:
            out.append((f"{prefix}-timestamp", str(ts)))
        if sig is not None:
            out.append((f"{prefix}-signature", sig))
        return out

    def verdict(hdrs, data, secrets, now=NOW):
        errors = []
        with mock.patch.object(swmod, "datetime", wraps=datetime.datetime) as dt:
            dt.now.return_value = datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc)
            dt.fromtimestamp.side_effect = datetime.datetime.fromtimestamp
            for sec in secrets:
                if sec.startswith("whpk_"):  # the library has no v1a
                    continue
                try:
                    if svix_names:
                        svixmod.Webhook(sec).verify(data, dict(hdrs))
                    else:
                        SW(sec).verify(data, dict(hdrs), json_parse=False)
                    return {"valid": True}
                except (WebhookVerificationError, ValueError, Exception) as error:  # the lib raises ValueError on odd input
                    errors.append(f"{type(error).__name__}: {error}")
        return {"valid": False, "error": errors[-1] if errors else "no whsec_ secret"}

    cases = []

    def add(name, hdrs, data, expect, secrets=(secret,), deviation=None, **extra):
        cases.append(case(name, hdrs, data, expect, sdk=verdict(hdrs, data, secrets, extra.get("now", NOW)),
                          deviation=deviation, secrets=list(secrets), **extra))

    spec_body = '{"test": 2432232314}'
    spec_hdrs = headers("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    assert v1(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, spec_body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    add("published example (Standard Webhooks spec / Svix docs)", spec_hdrs, spec_body, PASS, now=1614265330,
        published="standard-webhooks spec and Svix's verification docs: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, "
                  "msg_p5jXN8AQM9LWM0D4loKWxJek, 1614265330, {\"test\": 2432232314}")
    sig = v1(secret, msg_id, NOW - 10, body)
    add("valid", headers(msg_id, NOW - 10, sig), body, PASS,
        normalized={"type": "contact.created", "id": msg_id, "time": 1767225590123, "subject": "1f81eb52-5198-4599-803e-771906343485"})
    add("valid at the edge of the past tolerance", headers(msg_id, NOW - 300, v1(secret, msg_id, NOW - 300, body)), body, PASS)
    add("valid at the edge of the future tolerance", headers(msg_id, NOW + 300, v1(secret, msg_id, NOW + 300, body)), body, PASS)
    add("tampered body", headers(msg_id, NOW - 10, sig), tampered, fail("bad_signature", "signature does not match"))
    add("tampered id", headers(msg_id + "x", NOW - 10, sig), body, fail("bad_signature"))
    add("tampered timestamp", headers(msg_id, NOW - 9, sig), body, fail("bad_signature"))
    add("wrong secret", headers(msg_id, NOW - 10, v1(other, msg_id, NOW - 10, body)), body, fail("bad_signature"))
    add("stale timestamp", headers(msg_id, NOW - 301, v1(secret, msg_id, NOW - 301, body)), body,
        fail("stale_timestamp", "timestamp outside tolerance by 1s"))
    add("future timestamp", headers(msg_id, NOW + 400, v1(secret, msg_id, NOW + 400, body)), body,
        fail("stale_timestamp", "timestamp outside tolerance by 100s"))
    add("missing signature header", headers(msg_id, NOW - 10, None), body,
        fail("missing_signature", f"missing {prefix}-signature header"))
    add("missing id header", headers(None, NOW - 10, sig), body, fail("missing_signature", f"missing {prefix}-id header"))
    add("missing timestamp header", headers(msg_id, None, sig), body,
        fail("missing_signature", f"missing {prefix}-timestamp header"))
    add("non-numeric timestamp", headers(msg_id, "1767225590.5", sig), body,
        fail("malformed_signature", f"malformed {prefix}-timestamp header"),
        deviation="the library parses the timestamp as a float and signs its floor; hookrelay requires the integer the spec defines")
    add("only an unknown version", headers(msg_id, NOW - 10, sig.replace("v1,", "v2,")), body,
        fail("missing_signature", f"no v1 or v1a signature in {prefix}-signature"))
    add("rotation: signed by the previous secret", headers(msg_id, NOW - 10, v1(old, msg_id, NOW - 10, body)), body, PASS,
        secrets=(secret, old))
    both = v1(other, msg_id, NOW - 10, body) + " " + v1(old, msg_id, NOW - 10, body)
    add("rotation: several signatures, one matching", headers(msg_id, NOW - 10, both), body, PASS, secrets=(secret, old))
    add("rotation: none of two secrets matches", headers(msg_id, NOW - 10, v1(other, msg_id, NOW - 10, body)), body,
        fail("bad_signature", "signature does not match any of 2 secrets"), secrets=(secret, old))
    bare = secret[len("whsec_"):]
    add("a secret without the whsec_ prefix is base64 too", headers(msg_id, NOW - 10, sig), body, PASS, secrets=(bare,))
    add("v1a signed by the configured whpk_ key", headers(msg_id, NOW - 10, v1a(signer, msg_id, NOW - 10, body)), body, PASS,
        secrets=(whpk,), deviation="the reference libraries ignore v1a; the spec defines it as Ed25519 over the same content")
    add("v1a by another key", headers(msg_id, NOW - 10, v1a(other_signer, msg_id, NOW - 10, body)), body,
        fail("bad_signature"), secrets=(whpk,))
    add("v1a over a tampered body", headers(msg_id, NOW - 10, v1a(signer, msg_id, NOW - 10, body)), tampered,
        fail("bad_signature"), secrets=(whpk,))
    add("v1 and v1a side by side, only v1a configured", headers(msg_id, NOW - 10, sig + " " + v1a(signer, msg_id, NOW - 10, body)),
        body, PASS, secrets=(whpk,), deviation="the reference libraries ignore v1a")
    name = "svix" if svix_names else "standard-webhooks"
    source = ("Made with the Standard Webhooks Python library (standardwebhooks 1.1.0)" if not svix_names else
              "Made with svix 2.9.1 (Webhook.sign/verify; it wraps standardwebhooks)") + \
             "; sdk = its verify at 'now' (datetime patched) with any whsec_ secret; v1a cases signed with cryptography " \
             "(Ed25519) since the library ignores v1a. 'whsk_seed' is the test key's seed (base64) for v1a samples."
    extra = {"whsk": "whsk_" + b64(seed)}
    if svix_names:
        fallback = headers(msg_id, NOW - 10, sig)
        fallback = [(k.replace("svix-", "webhook-"), v) for k, v in fallback]
        add("webhook-* names are read when svix-* are absent", fallback, body, PASS)
    return {"provider": name, "source": source, "tolerance": 300, **extra, "cases": cases}


# ------------------------------------------------------------------------------------------------------- GitLab

def gitlab():
    from standardwebhooks.webhooks import Webhook as SW
    token = "gitlab-secret-token-7f3a9c"
    signing = "whsec_" + b64(b"hookrelay-gitlab-signing-token-32")
    body = ('{"object_kind":"merge_request","event_type":"merge_request","user":{"id":1,"name":"Ada"},'
            '"project":{"id":42,"path_with_namespace":"acme/hookrelay"},"object_attributes":{"id":99,"iid":7,'
            '"title":"Gr\u00e4tzer","action":"open","created_at":"2025-12-31T23:59:00Z","updated_at":"2025-12-31T23:59:50Z"}}')
    uuid = "0c1f3a40-6b0e-4a4e-9f0a-3c5d2e1b4a99"

    def signed(ts, sec=signing, data=body, mid=uuid):
        s = SW(sec).sign(mid, datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc), data)
        return [("Idempotency-Key", mid), ("webhook-id", mid), ("webhook-timestamp", str(ts)), ("webhook-signature", s)]

    base = [("X-Gitlab-Event", "Merge Request Hook"), ("X-Gitlab-Event-UUID", uuid)]
    cases = [
        case("valid token", base + [("Idempotency-Key", uuid), ("X-Gitlab-Token", token)], body, PASS, secrets=[token],
             normalized={"type": "merge_request.open", "id": uuid, "time": 1767225590000, "subject": "acme/hookrelay!7"}),
        case("wrong token", base + [("X-Gitlab-Token", token + "x")], body, fail("bad_signature", "token does not match"), secrets=[token]),
        case("token that is a prefix of the secret", base + [("X-Gitlab-Token", token[:-1])], body, fail("bad_signature"), secrets=[token]),
        case("missing token", base, body, fail("missing_signature", "missing X-Gitlab-Token header"), secrets=[token]),
        case("rotation: the second token", base + [("X-Gitlab-Token", "previous-token-51be0d")], body, PASS,
             secrets=[token, "previous-token-51be0d"]),
        case("rotation: neither token", base + [("X-Gitlab-Token", "guess")], body,
             fail("bad_signature", "token does not match any of 2 tokens"), secrets=[token, "previous-token-51be0d"]),
        case("signing token: valid", base + signed(NOW - 5), body, PASS, secrets=[signing]),
        case("signing token: tampered body", base + signed(NOW - 5), body.replace("Gr\u00e4tzer", "Gratzer"),
             fail("bad_signature"), secrets=[signing]),
        case("signing token: stale", base + signed(NOW - 400), body, fail("stale_timestamp"), secrets=[signing]),
        case("signing token: no signature sent", base + [("X-Gitlab-Token", token)], body,
             fail("missing_signature", "missing webhook-signature header"), secrets=[signing]),
        case("signing token configured with a token: a signed request must verify", base + signed(NOW - 5, sec="whsec_" + b64(b"x" * 32)) +
             [("X-Gitlab-Token", token)], body, fail("bad_signature"), secrets=[signing, token]),
        case("signing token configured with a token: an unsigned request with the token", base + [("X-Gitlab-Token", token)], body,
             PASS, secrets=[signing, token]),
    ]
    return {"provider": "gitlab", "source": "Tokens by hand; signing-token cases signed with the standardwebhooks library "
            "(GitLab's signing token follows Standard Webhooks, gitlab-org/gitlab!230944). GitLab publishes no example.",
            "tolerance": 300, "cases": cases}


# ------------------------------------------------------------------------------------------------------- Paddle

def paddle():
    from paddle_billing.Notifications import Secret, Verifier
    import paddle_billing.Notifications.Verifier as vmod
    secret = "pdl_ntfset_01hookrelay_test_current_7f3a9c"
    old = "pdl_ntfset_01hookrelay_test_previous_51be0d"
    body = ('{"event_id":"evt_01hv8x2acma2gz7pdnw8sd8x5z","event_type":"transaction.completed",'
            '"occurred_at":"2025-12-31T23:59:55.621022Z","notification_id":"ntf_01hv8x2af7m8vtks4vr5qyk6rc",'
            '"data":{"id":"txn_01hv8wptq8987qeep44cyrewp9","status":"completed","details":{"totals":{"total":"2380"}},'
            '"customer":{"name":"Z\u00fcrich GmbH"}}}')

    def sig(ts, sec=secret, data=body):
        return hmac.new(sec.encode(), f"{ts}:{data}".encode(), hashlib.sha256).hexdigest()

    class Req:
        def __init__(self, hdrs, data):
            self.headers = dict(hdrs)
            self.body = data.encode()

    def verdict(hdrs, data, secrets):
        with frozen("paddle_billing.Notifications.Verifier.time"):
            try:
                ok = Verifier().verify(Req(hdrs, data), [Secret(s) for s in secrets])
                return {"valid": bool(ok)}
            except Exception as error:
                return {"valid": False, "error": f"{type(error).__name__}: {error}"}

    cases = []

    def add(name, header, data, expect, secrets=(secret,), deviation=None, **extra):
        hdrs = [("Paddle-Signature", header)] if header is not None else []
        cases.append(case(name, hdrs, data, expect, sdk=verdict(hdrs, data, secrets), deviation=deviation,
                          secrets=list(secrets), **extra))

    add("valid", f"ts={NOW - 2};h1={sig(NOW - 2)}", body, PASS,
        normalized={"type": "transaction.completed", "id": "evt_01hv8x2acma2gz7pdnw8sd8x5z", "time": 1767225595621,
                    "subject": "txn_01hv8wptq8987qeep44cyrewp9"})
    add("valid at the edge of the tolerance", f"ts={NOW - 5};h1={sig(NOW - 5)}", body, PASS)
    add("valid 5 s in the future", f"ts={NOW + 5};h1={sig(NOW + 5)}", body, PASS)
    add("tampered body", f"ts={NOW - 2};h1={sig(NOW - 2)}", body.replace("2380", "1"), fail("bad_signature", "signature does not match"))
    add("wrong secret", f"ts={NOW - 2};h1={sig(NOW - 2, sec='pdl_ntfset_someone_else')}", body, fail("bad_signature"))
    add("stale: 6 s old (the SDK's default 5 s)", f"ts={NOW - 6};h1={sig(NOW - 6)}", body,
        fail("stale_timestamp", "timestamp outside tolerance by 1s"))
    add("future: 60 s ahead", f"ts={NOW + 60};h1={sig(NOW + 60)}", body, fail("stale_timestamp", "timestamp outside tolerance by 55s"))
    add("missing header", None, body, fail("missing_signature", "missing Paddle-Signature header"))
    add("no h1", f"ts={NOW - 2}", body, fail("missing_signature", "no h1 signature in Paddle-Signature"))
    add("no ts", f"h1={sig(NOW - 2)}", body, fail("malformed_signature", "malformed Paddle-Signature header"),
        deviation="the SDK reads a missing ts as 0 and reports the time drift; hookrelay calls the header malformed")
    add("rotation: the previous secret's signature", f"ts={NOW - 2};h1={sig(NOW - 2, sec=old)}", body, PASS, secrets=(secret, old))
    add("rotation: two h1 values, the second matching", f"ts={NOW - 2};h1={sig(NOW - 2, sec='pdl_ntfset_x')};h1={sig(NOW - 2)}",
        body, PASS)
    add("rotation: none of two secrets", f"ts={NOW - 2};h1={sig(NOW - 2, sec='pdl_ntfset_x')}", body,
        fail("bad_signature", "signature does not match any of 2 secrets"), secrets=(secret, old))
    add("an unknown key is ignored", f"ts={NOW - 2};h2=abc;h1={sig(NOW - 2)}", body, PASS,
        deviation="the SDK raises on keys it does not know; hookrelay ignores them so a future scheme does not break verification")
    return {"provider": "paddle", "source": "Made with paddle-python-sdk 1.16.1: sdk = Verifier() (maximum_variance 5 s, both ways) "
            "with time patched to 'now'. Paddle publishes no signed example.", "tolerance": 5, "cases": cases}


# ------------------------------------------------------------------------------------------------------ Zendesk

def zendesk():
    secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # Zendesk's documented test secret, used as is
    body = ('{"account_id":22129848,"detail":{"id":"5158","status":"NEW","subject":"Gr\u00e4tzer printer"},"event":{},'
            '"id":"cbe4028c-7239-495d-b020-f22348516046","subject":"zen:ticket:5158","time":"2025-12-31T23:59:58.000Z",'
            '"type":"zen:event-type:ticket.created","zendesk_event_version":"2022-11-06"}')
    ts = "2025-12-31T23:59:59Z"

    def sig(t, data=body, sec=secret):
        return b64(hmac.new(sec.encode(), (t + data).encode(), hashlib.sha256).digest())

    def hdrs(t, s):
        out = []
        if s is not None:
            out.append(("X-Zendesk-Webhook-Signature", s))
        if t is not None:
            out.append(("X-Zendesk-Webhook-Signature-Timestamp", t))
        return out

    cases = [
        case("valid", hdrs(ts, sig(ts)), body, PASS, secrets=[secret],
             normalized={"type": "ticket.created", "id": "cbe4028c-7239-495d-b020-f22348516046", "time": 1767225598000,
                         "subject": "zen:ticket:5158"}),
        case("old documented example (body + timestamp) does not verify", hdrs("2021-07-25T10:00:00Z", "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="),
             '{"say": "hello"}', fail("bad_signature"), secrets=["HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="],
             published="an older revision of developer.zendesk.com/documentation/event-connectors/webhooks/verifying showed this "
                       "example, signed over BODY+TIMESTAMP; the current page and every receiver use TIMESTAMP+BODY, which "
                       "this example does not satisfy"),
        case("tampered body", hdrs(ts, sig(ts)), body.replace("5158", "5159"), fail("bad_signature", "signature does not match"),
             secrets=[secret]),
        case("tampered timestamp", hdrs("2025-12-31T23:59:58Z", sig(ts)), body, fail("bad_signature"), secrets=[secret]),
        case("wrong secret", hdrs(ts, sig(ts, sec="another-signing-secret")), body, fail("bad_signature"), secrets=[secret]),
        case("missing signature", hdrs(ts, None), body, fail("missing_signature", "missing X-Zendesk-Webhook-Signature header"),
             secrets=[secret]),
        case("missing timestamp", hdrs(None, sig(ts)), body,
             fail("missing_signature", "missing X-Zendesk-Webhook-Signature-Timestamp header"), secrets=[secret]),
        case("signature not base64", hdrs(ts, "not base64!"), body,
             fail("malformed_signature", "malformed X-Zendesk-Webhook-Signature header"), secrets=[secret]),
        case("old timestamp without a configured tolerance", hdrs("2025-01-01T00:00:00Z", sig("2025-01-01T00:00:00Z")), body, PASS,
             secrets=[secret]),
        case("old timestamp with tolerance 5m", hdrs("2025-12-31T23:54:00Z", sig("2025-12-31T23:54:00Z")), body,
             fail("stale_timestamp", "timestamp outside tolerance by 60s"), secrets=[secret], tolerance=300),
        case("rotation: the second secret", hdrs(ts, sig(ts, sec="previous-signing-secret")), body, PASS,
             secrets=[secret, "previous-signing-secret"]),
        case("empty body (a GET trigger webhook)", hdrs(ts, sig(ts, data="")), "", PASS, secrets=[secret]),
    ]
    return {"provider": "zendesk", "source": "Computed per developer.zendesk.com/documentation/webhooks/verifying: "
            "base64(HMAC-SHA256(secret, TIMESTAMP + BODY)), the secret used as is (Zendesk's documented test secret). "
            "Zendesk ships no verifier.", "cases": cases}


# ------------------------------------------------------------------------------------------------------- Twitch

def twitch():
    secret = "s3cRe7-hookrelay-twitch"
    body = ('{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"enabled","type":"channel.follow",'
            '"version":"2","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},'
            '"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},'
            '"created_at":"2025-12-31T23:00:00.634234626Z"},"event":{"user_id":"1234","user_login":"cool_user",'
            '"user_name":"Cool_User \u00e9","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user",'
            '"broadcaster_user_name":"Cooler_User","followed_at":"2025-12-31T23:59:00.123456789Z"}}')
    mid = "befa7b53-d79d-478f-86b9-120f112b044e"
    ts = "2025-12-31T23:59:59.123456789Z"

    def sig(i, t, data=body, sec=secret):
        return "sha256=" + hmac.new(sec.encode(), (i + t + data).encode(), hashlib.sha256).hexdigest()

    def hdrs(i, t, s, kind="notification"):
        out = [("Twitch-Eventsub-Message-Type", kind)]
        if i is not None:
            out.append(("Twitch-Eventsub-Message-Id", i))
        if t is not None:
            out.append(("Twitch-Eventsub-Message-Timestamp", t))
        if s is not None:
            out.append(("Twitch-Eventsub-Message-Signature", s))
        return out

    challenge = ('{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4",'
                 '"status":"webhook_callback_verification_pending","type":"channel.follow","version":"2","cost":0,'
                 '"condition":{"broadcaster_user_id":"12826"},"transport":{"method":"webhook",'
                 '"callback":"https://example.com/webhooks/callback"},"created_at":"2025-12-31T23:59:00.634234626Z"}}')
    stale = "2025-12-31T23:49:59Z"
    future = "2026-01-01T00:10:01Z"
    cases = [
        case("valid", hdrs(mid, ts, sig(mid, ts)), body, PASS, secrets=[secret],
             normalized={"type": "channel.follow", "id": mid, "time": 1767225599123, "subject": "1337"}),
        case("challenge", hdrs(mid, ts, sig(mid, ts, challenge), "webhook_callback_verification"), challenge, PASS, secrets=[secret],
             handshake="pogchamp-kappa-360noscope-vohiyo"),
        case("tampered body", hdrs(mid, ts, sig(mid, ts)), body.replace("1234", "4321"), fail("bad_signature", "signature does not match"),
             secrets=[secret]),
        case("tampered message id", hdrs(mid[:-1] + "f", ts, sig(mid, ts)), body, fail("bad_signature"), secrets=[secret]),
        case("wrong secret", hdrs(mid, ts, sig(mid, ts, sec="another-secret-1234")), body, fail("bad_signature"), secrets=[secret]),
        case("stale: 10 min 1 s old", hdrs(mid, stale, sig(mid, stale)), body, fail("stale_timestamp", "timestamp outside tolerance by 1s"),
             secrets=[secret]),
        case("future: 10 min 1 s ahead", hdrs(mid, future, sig(mid, future)), body, fail("stale_timestamp"), secrets=[secret]),
        case("missing signature", hdrs(mid, ts, None), body, fail("missing_signature", "missing Twitch-Eventsub-Message-Signature header"),
             secrets=[secret]),
        case("missing message id", hdrs(None, ts, sig(mid, ts)), body, fail("missing_signature", "missing Twitch-Eventsub-Message-Id header"),
             secrets=[secret]),
        case("signature without sha256=", hdrs(mid, ts, sig(mid, ts)[7:]), body,
             fail("malformed_signature", "malformed Twitch-Eventsub-Message-Signature header"), secrets=[secret]),
        case("timestamp not RFC 3339", hdrs(mid, "1767225599", sig(mid, "1767225599")), body,
             fail("malformed_signature", "malformed Twitch-Eventsub-Message-Timestamp header"), secrets=[secret]),
        case("rotation: the second secret", hdrs(mid, ts, sig(mid, ts, sec="previous-secret-51be0d")), body, PASS,
             secrets=[secret, "previous-secret-51be0d"]),
    ]
    return {"provider": "twitch", "source": "Computed per dev.twitch.tv/docs/eventsub/handling-webhook-events: hex HMAC-SHA256 "
            "over message id + timestamp + body with the secret as is, 'sha256=' prefix; 10-minute freshness. The challenge "
            "payload follows Twitch's documented shape.", "tolerance": 600, "cases": cases}


# ----------------------------------------------------------------------------------------------------- SendGrid

def sendgrid():
    from sendgrid.helpers.eventwebhook import EventWebhook
    published_key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
    published_sig = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
    published_ts = "1600112502"
    published_body = json.dumps([{
        "email": "hello@world.com", "event": "dropped", "reason": "Bounced Address",
        "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
        "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
        "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>", "timestamp": 1600112492}],
        sort_keys=True, separators=(",", ":")) + "\r\n"
    key = ec.generate_private_key(ec.SECP256R1())
    der = b64(key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    other = ec.generate_private_key(ec.SECP256R1())
    body = ('[{"email":"ada@example.com","event":"processed","sg_event_id":"cHJvY2Vzc2VkLTEtYQ","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","timestamp":1767225590},'
            '{"email":"ada@example.com","event":"delivered","response":"250 OK","sg_event_id":"ZGVsaXZlcmVkLTEtYg","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","timestamp":1767225595,"category":["Z\u00fcrich"]},'
            ' {"email":"bob@example.com","event":"open","timestamp":1767225599,"useragent":"Mozilla/5.0"}]\r\n')
    ts = str(NOW - 1)

    def sign(k, t, data):
        return b64(k.sign((t + data).encode(), ec.ECDSA(hashes.SHA256())))

    def verdict(hdrs, data, public_key):
        d = dict(hdrs)
        ew = EventWebhook(public_key)
        try:
            return {"valid": ew.verify_signature(data, d.get("X-Twilio-Email-Event-Webhook-Signature", ""),
                                                 d.get("X-Twilio-Email-Event-Webhook-Timestamp", ""))}
        except Exception as error:
            return {"valid": False, "error": f"{type(error).__name__}: {error}"}

    def hdrs(s, t):
        out = []
        if s is not None:
            out.append(("X-Twilio-Email-Event-Webhook-Signature", s))
        if t is not None:
            out.append(("X-Twilio-Email-Event-Webhook-Timestamp", t))
        return out

    cases = []

    def add(name, h, data, expect, public_key=der, deviation=None, **extra):
        cases.append(case(name, h, data, expect, sdk=verdict(h, data, public_key), deviation=deviation, publicKey=public_key, **extra))

    add("published example (sendgrid-python test_eventwebhook.py)", hdrs(published_sig, published_ts), published_body, PASS,
        public_key=published_key, published="sendgrid/sendgrid-python test/unit/test_eventwebhook.py: key, signature, timestamp and body",
        normalized=[{"type": "dropped", "id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA", "time": 1600112492000,
                     "subject": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"}])
    add("published example with the SDK test's other key", hdrs(published_sig, published_ts), published_body, fail("bad_signature"),
        public_key="MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==")
    add("published example, tampered body", hdrs(published_sig, published_ts), "payload", fail("bad_signature"), public_key=published_key)
    add("published example, other timestamp", hdrs(published_sig, "1600112503"), published_body, fail("bad_signature"),
        public_key=published_key)
    sig = sign(key, ts, body)
    add("valid batch of three", hdrs(sig, ts), body, PASS,
        normalized=[{"type": "processed", "id": "cHJvY2Vzc2VkLTEtYQ", "time": 1767225590000,
                     "subject": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"},
                    {"type": "delivered", "id": "ZGVsaXZlcmVkLTEtYg", "time": 1767225595000,
                     "subject": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"},
                    {"type": "open", "id": None, "time": 1767225599000, "subject": None}])
    add("tampered body", hdrs(sig, ts), body.replace("250 OK", "550 NO"), fail("bad_signature", "signature does not match"))
    add("signed by another key", hdrs(sign(other, ts, body), ts), body, fail("bad_signature"))
    add("missing signature", hdrs(None, ts), body, fail("missing_signature", "missing X-Twilio-Email-Event-Webhook-Signature header"))
    add("missing timestamp", hdrs(sig, None), body, fail("missing_signature", "missing X-Twilio-Email-Event-Webhook-Timestamp header"))
    add("signature not base64", hdrs("%%%", ts), body, fail("malformed_signature"))
    old_ts = str(NOW - 86_400)
    add("a day-old timestamp without a configured tolerance", hdrs(sign(key, old_ts, body), old_ts), body, PASS)
    add("a day-old timestamp with tolerance 10m", hdrs(sign(key, old_ts, body), old_ts), body,
        fail("stale_timestamp", "timestamp outside tolerance by 85800s"), tolerance=600,
        deviation="SendGrid's SDK checks no time; hookrelay applies the configured tolerance")
    return {"provider": "sendgrid", "source": "sendgrid 6.12.5: sdk = EventWebhook(publicKey).verify_signature(body, signature, "
            "timestamp). Throw-away P-256 key made with cryptography; 'privateKey' signs samples.",
            "privateKey": pem_private(key), "cases": cases}


# ------------------------------------------------------------------------------------------------------ Discord

def discord():
    from discord_interactions import verify_key
    from nacl.signing import SigningKey
    signer = SigningKey.generate()
    public = signer.verify_key.encode().hex()
    other = SigningKey.generate()
    body = ('{"application_id":"1111111111111111111","channel_id":"645027906669510667","data":{"id":"771825006014889984",'
            '"name":"deploy","options":[{"name":"env","type":3,"value":"st\u00e4ging"}],"type":1},'
            '"guild_id":"290926798626357999","id":"1455705600000000000","member":{"user":{"id":"80351110224678912",'
            '"username":"ada"}},"token":"A_UNIQUE_TOKEN","type":2,"version":1}')
    ping = '{"application_id":"1111111111111111111","id":"1455705600000000001","token":"t","type":1,"version":1}'
    ts = str(NOW - 1)

    def sign(k, t, data):
        return k.sign((t + data).encode()).signature.hex()

    def hdrs(s, t):
        out = []
        if s is not None:
            out.append(("X-Signature-Ed25519", s))
        if t is not None:
            out.append(("X-Signature-Timestamp", t))
        return out

    def verdict(h, data, key):
        d = dict(h)
        if "X-Signature-Ed25519" not in d or "X-Signature-Timestamp" not in d:
            return {"valid": False, "error": "missing header"}
        return {"valid": verify_key(data.encode(), d["X-Signature-Ed25519"], d["X-Signature-Timestamp"], key)}

    cases = []

    def add(name, h, data, expect, key=public, deviation=None, **extra):
        cases.append(case(name, h, data, expect, sdk=verdict(h, data, key), deviation=deviation, publicKey=key, **extra))

    sig = sign(signer, ts, body)
    add("valid command", hdrs(sig, ts), body, PASS,
        normalized={"type": "application_command.deploy", "id": "1455705600000000000",
                    "time": (1455705600000000000 >> 22) + 1420070400000, "subject": "290926798626357999"})
    add("valid PING", hdrs(sign(signer, ts, ping), ts), ping, PASS, handshake='{"type":1}')
    add("tampered body", hdrs(sig, ts), body.replace("st\u00e4ging", "production"), fail("bad_signature", "signature does not match"))
    add("tampered timestamp", hdrs(sig, str(NOW)), body, fail("bad_signature"))
    add("signed by another key", hdrs(sign(other, ts, body), ts), body, fail("bad_signature"))
    add("Discord's probe: a PING with an invalid signature", hdrs("0" * 128, ts), ping, fail("bad_signature"))
    add("missing signature", hdrs(None, ts), body, fail("missing_signature", "missing X-Signature-Ed25519 header"))
    add("missing timestamp", hdrs(sig, None), body, fail("missing_signature", "missing X-Signature-Timestamp header"))
    add("signature not hex", hdrs("zz" * 64, ts), body, fail("malformed_signature", "malformed X-Signature-Ed25519 header"))
    old = str(NOW - 3600)
    add("an hour-old timestamp without a configured tolerance", hdrs(sign(signer, old, body), old), body, PASS)
    add("an hour-old timestamp with tolerance 5m", hdrs(sign(signer, old, body), old), body,
        fail("stale_timestamp", "timestamp outside tolerance by 3300s"), tolerance=300,
        deviation="discord-interactions checks no time; hookrelay applies the configured tolerance")
    return {"provider": "discord", "source": "discord-interactions 0.4.0 (PyNaCl 1.6.2): sdk = verify_key(body, signature, "
            "timestamp, publicKey). Throw-away Ed25519 key; 'privateKeySeed' (hex) signs samples.",
            "privateKeySeed": signer.encode().hex(), "cases": cases}


# -------------------------------------------------------------------------------------------------------- Plaid

def plaid():
    def b64u(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    published_jwt = ("eyJhbGciOiJFUzI1NiIsImtpZCI6IjZjNTUxNmUxLTkyZGMtNDc5ZS1hOGZmLTVhNTE5OTJlMDAwMSIsInR5cCI6IkpXVCJ9."
                     "eyJpYXQiOjE1OTA4ODcwMDEsInJlcXVlc3RfYm9keV9zaGEyNTYiOiJiNjNhMDdiNTQ3YjAwZjk5MjU0N2Y2YmJjOGQ5YWNjNjFh"
                     "OGNjZWUxMzhiYzgyZjQ0YTZiYWEwOTY4M2E1ZDBmIn0."
                     "OOKvIihgqCj7Qrb2bmz7T3t7uK-0JyjiEqL2s1kWeJBM4MMmjaHKK8GmU_z91QolBWMzvPgs718EElY-rE3cwQ")
    published_jwk = ('{"alg":"ES256","created_at":1560466143,"crv":"P-256","expired_at":null,'
                     '"kid":"6c5516e1-92dc-479e-a8ff-5a51992e0001","kty":"EC","use":"sig",'
                     '"x":"35lvC8uz2QrWpQJ3TUH8t9o9DURMp7ydU518RKDl20k","y":"I8BuXB2bvxelzJAd7OKhd-ZwjCst05Fx47Mb_0ugros"}')
    published_body = ('{\n  "error": null,\n  "item_id": "yxQbxDjnD8hr69pKbQpbcKeVn3GL9QuyA7NV3",\n  "new_transactions": 390,\n'
                      '  "webhook_code": "HISTORICAL_UPDATE",\n  "webhook_type": "TRANSACTIONS"\n}')
    assert hashlib.sha256(published_body.encode()).hexdigest() == "b63a07b547b00f992547f6bbc8d9acc61a8ccee138bc82f44a6baa09683a5d0f"
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    kid = "bfbd5111-8e33-4643-8ced-b2e642a72f3c"
    jwk = json.dumps({"alg": "ES256", "created_at": 1700000000, "crv": "P-256", "expired_at": None, "kid": kid, "kty": "EC",
                      "use": "sig", "x": b64u(numbers.x.to_bytes(32, "big")), "y": b64u(numbers.y.to_bytes(32, "big"))},
                     separators=(",", ":"))
    other = ec.generate_private_key(ec.SECP256R1())
    body = ('{\n  "environment": "production",\n  "error": null,\n  "item_id": "wz666MBjYWTp2PDzzggYhM6oWWmBb",\n'
            '  "webhook_code": "SYNC_UPDATES_AVAILABLE",\n  "webhook_type": "TRANSACTIONS",\n  "note": "Z\u00fcrich"\n}')

    def jwt(k, iat, data, alg="ES256", kid_=kid, body_hash=None):
        header = b64u(json.dumps({"alg": alg, "kid": kid_, "typ": "JWT"}, separators=(",", ":")).encode())
        claims = b64u(json.dumps({"iat": iat, "request_body_sha256": body_hash or hashlib.sha256(data.encode()).hexdigest()},
                                 separators=(",", ":")).encode())
        der = k.sign(f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{header}.{claims}.{b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def hdrs(token):
        return [("Plaid-Verification", token)] if token is not None else []

    good = jwt(key, NOW - 30, body)
    none_token = b64u(b'{"alg":"none","kid":"' + kid.encode() + b'"}') + "." + good.split(".")[1] + "."
    cases = [
        case("published example (a real Plaid webhook quoted on Stack Overflow #62117400)", hdrs(published_jwt), published_body, PASS,
             publicKey=published_jwk, now=1590887001 + 60,
             published="JWT, JWK (from /webhook_verification_key/get) and claims as posted in stackoverflow.com/q/62117400; "
                       "the exact body is the posted JSON indented by two spaces, whose SHA-256 is the JWT's request_body_sha256",
             normalized={"type": "TRANSACTIONS.HISTORICAL_UPDATE", "time": 1590887001000, "subject": "yxQbxDjnD8hr69pKbQpbcKeVn3GL9QuyA7NV3"}),
        case("published example with the body re-serialized", hdrs(published_jwt), json.dumps(json.loads(published_body)),
             fail("bad_signature", "body does not match request_body_sha256"), publicKey=published_jwk, now=1590887001 + 60),
        case("published example, stale", hdrs(published_jwt), published_body, fail("stale_timestamp", "timestamp outside tolerance by 1s"),
             publicKey=published_jwk, now=1590887001 + 301),
        case("valid", hdrs(good), body, PASS, publicKey=jwk,
             normalized={"type": "TRANSACTIONS.SYNC_UPDATES_AVAILABLE", "time": (NOW - 30) * 1000, "subject": "wz666MBjYWTp2PDzzggYhM6oWWmBb"}),
        case("valid with a JWK set", hdrs(good), body, PASS, publicKey=json.dumps({"keys": [json.loads(published_jwk), json.loads(jwk)]})),
        case("tampered body", hdrs(good), body.replace("Z\u00fcrich", "Zurich"), fail("bad_signature", "body does not match request_body_sha256"),
             publicKey=jwk),
        case("signed by another key", hdrs(jwt(other, NOW - 30, body)), body, fail("bad_signature", "signature does not match"), publicKey=jwk),
        case("a key id nobody configured", hdrs(jwt(key, NOW - 30, body, kid_="rotated-key")), body,
             fail("bad_signature", "no configured key has this key id"), publicKey=jwk),
        case("alg none", hdrs(none_token), body, fail("malformed_signature", "Plaid-Verification is not signed ES256"), publicKey=jwk),
        case("alg HS256", hdrs(jwt(key, NOW - 30, body, alg="HS256")), body, fail("malformed_signature"), publicKey=jwk),
        case("stale iat", hdrs(jwt(key, NOW - 301, body)), body, fail("stale_timestamp", "timestamp outside tolerance by 1s"), publicKey=jwk),
        case("future iat", hdrs(jwt(key, NOW + 600, body)), body, fail("stale_timestamp"), publicKey=jwk),
        case("missing header", hdrs(None), body, fail("missing_signature", "missing Plaid-Verification header"), publicKey=jwk),
        case("not a JWT", hdrs("abc.def"), body, fail("malformed_signature", "malformed Plaid-Verification header"), publicKey=jwk),
    ]
    return {"provider": "plaid", "source": "Plaid's own signed webhook as published on Stack Overflow, plus cases signed ES256 "
            "with a throw-away P-256 key (cryptography) per plaid.com/docs/api/webhooks/webhook-verification. Plaid ships no "
            "Python verifier; 'privateKey' signs samples.", "tolerance": 300, "privateKey": pem_private(key), "cases": cases}


# ------------------------------------------------------------------------------------------------------- PayPal

def paypal(vectors_dir):
    published_cert = open(os.path.join(os.path.dirname(__file__), "paypal-java-sdk-clientCertTest.crt")).read()
    published_body = open(os.path.join(os.path.dirname(__file__), "paypal-java-sdk-event.json")).read().rstrip("\n")
    published = [("PAYPAL-AUTH-ALGO", "SHA256withRSA"),
                 ("PAYPAL-CERT-URL", "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270"),
                 ("PAYPAL-TRANSMISSION-ID", "afa30d40-ca4a-11e9-ab68-7d4e2605c70c"),
                 ("PAYPAL-TRANSMISSION-TIME", "2019-08-29T10:49:33Z"),
                 ("PAYPAL-TRANSMISSION-SIG", "K7DF5+hOyGS6v0xTZ9PkEO+BFNQmpryxw2hFlXbHgmxpu+883ldEC9HcL6ccEmB8sfy80y/Q3qcZZL1MR8Qi0e1ysylVj/yROgKK6zBsQPoNmgXC8yTiNoAjULuhk5Aoau0Itk3nrkgAfji1zvADlErMFM9VZe2nDvhM3nDMLjCi/K5fRjWp3eGo6Nx17GX/WIEibeKDyS+YdJMex3i+KO4aWmm9zznC/FJ5Y/ntd0MxOJNrM0r0f3y7c3e3sO5pB3oPgN6KzKVS5P6AWHqtS8acD3DjgCKZ1uqKz7q954G1aBz2/m0wRGOFFsv0/D3FE2uIheRRmoQtVSOAX7Aupg==")]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hookrelay test signer")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2025, 1, 1)).not_valid_after(datetime.datetime(2125, 1, 1))
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    webhook_id = "1JE4291016473214C"
    body = ('{"id":"WH-58D329510W468432D-8HN650336L201105X","event_version":"1.0","create_time":"2025-12-31T23:59:58.123Z",'
            '"resource_type":"capture","resource_version":"2.0","event_type":"PAYMENT.CAPTURE.COMPLETED",'
            '"summary":"Payment completed for EUR 23.80 EUR","resource":{"id":"42311647XV020574X","status":"COMPLETED",'
            '"amount":{"currency_code":"EUR","value":"23.80"},"note":"Z\u00fcrich"}}')
    tid = "b9d46480-2162-11ee-a2ae-61fbe51a886c"
    time = "2025-12-31T23:59:59Z"

    def sign(k, i, t, wid, data):
        message = f"{i}|{t}|{wid}|{zlib.crc32(data.encode())}".encode()
        return b64(k.sign(message, padding.PKCS1v15(), hashes.SHA256()))

    def hdrs(sig, i=tid, t=time, algo="SHA256withRSA"):
        out = [("PAYPAL-AUTH-ALGO", algo)] if algo else []
        out.append(("PAYPAL-CERT-URL", "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-aaaaaaaa"))
        if i is not None:
            out.append(("PAYPAL-TRANSMISSION-ID", i))
        if t is not None:
            out.append(("PAYPAL-TRANSMISSION-TIME", t))
        if sig is not None:
            out.append(("PAYPAL-TRANSMISSION-SIG", sig))
        return out

    sig = sign(key, tid, time, webhook_id, body)
    cases = [
        case("published example (PayPal-Java-SDK ValidateCertTest)", published, published_body, PASS,
             publicKey=published_cert, webhookId="0FV983392A0531201", now=1567075773,
             published="paypal/PayPal-Java-SDK rest-api-sdk/src/test: ValidateCertTest.java headers, body and webhook id "
                       "0FV983392A0531201; clientCertTest.crt (messageverificationcerts.sandbox.paypal.com)",
             normalized={"type": "PAYMENTS.PAYMENT.CREATED", "id": "WH-7MU294299R542214K-4N1831857K851783H", "time": 1567075743439,
                         "subject": "PAYID-LVT22VY7N839502VJ678725M"}),
        case("published example with another webhook id", published, published_body, fail("bad_signature"),
             publicKey=published_cert, webhookId="NotToBeFound", now=1567075773),
        case("valid", hdrs(sig), body, PASS, publicKey=cert_pem, webhookId=webhook_id,
             normalized={"type": "PAYMENT.CAPTURE.COMPLETED", "id": "WH-58D329510W468432D-8HN650336L201105X", "time": 1767225598123,
                         "subject": "42311647XV020574X"}),
        case("tampered body", hdrs(sig), body.replace("23.80", "0.01"), fail("bad_signature", "signature does not match"),
             publicKey=cert_pem, webhookId=webhook_id),
        case("tampered transmission id", hdrs(sig, i=tid[:-1] + "d"), body, fail("bad_signature"), publicKey=cert_pem, webhookId=webhook_id),
        case("signed by another key", hdrs(sign(other, tid, time, webhook_id, body)), body, fail("bad_signature"),
             publicKey=cert_pem, webhookId=webhook_id),
        case("signed for another webhook", hdrs(sign(key, tid, time, "9XL90610J3647323C", body)), body, fail("bad_signature"),
             publicKey=cert_pem, webhookId=webhook_id),
        case("missing signature", hdrs(None), body, fail("missing_signature", "missing PAYPAL-TRANSMISSION-SIG header"),
             publicKey=cert_pem, webhookId=webhook_id),
        case("missing transmission time", hdrs(sig, t=None), body, fail("missing_signature", "missing PAYPAL-TRANSMISSION-TIME header"),
             publicKey=cert_pem, webhookId=webhook_id),
        case("another algorithm", hdrs(sig, algo="SHA1withRSA"), body, fail("malformed_signature", "unsupported PAYPAL-AUTH-ALGO"),
             publicKey=cert_pem, webhookId=webhook_id),
        case("an old transmission without a configured tolerance", hdrs(sign(key, tid, "2025-12-01T00:00:00Z", webhook_id, body),
             t="2025-12-01T00:00:00Z"), body, PASS, publicKey=cert_pem, webhookId=webhook_id),
        case("an old transmission with tolerance 1h", hdrs(sign(key, tid, "2025-12-31T22:00:00Z", webhook_id, body),
             t="2025-12-31T22:00:00Z"), body, fail("stale_timestamp", "timestamp outside tolerance by 3600s"),
             publicKey=cert_pem, webhookId=webhook_id, tolerance=3600),
    ]
    return {"provider": "paypal", "source": "PayPal's own Java SDK test vector (real sandbox signature and certificate), plus "
            "cases signed SHA256withRSA with a throw-away key and self-signed certificate (cryptography) over "
            "id|time|webhookId|crc32(body). 'privateKey' and 'certificate' sign and check samples.",
            "privateKey": pem_private(key), "certificate": cert_pem, "cases": cases}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/HookRelayTests/Vectors"
    files = {"standard-webhooks": standard_webhooks(), "svix": standard_webhooks(svix_names=True), "gitlab": gitlab(),
             "paddle": paddle(), "zendesk": zendesk(), "twitch": twitch(), "sendgrid": sendgrid(), "discord": discord(),
             "plaid": plaid(), "paypal": paypal(out)}
    for name, content in files.items():
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump(content, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(f"{name}: {len(content['cases'])} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
