#!/usr/bin/env python3
"""Generates Tests/HookRelayTests/Vectors/<provider>.json for the group A presets.

Signatures are computed here with Python's own `hmac` (an implementation independent of hookrelay's), following each
provider's documented scheme. Published examples are included verbatim and say where they come from:

* github   — docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", body "Hello, World!".
* slack    — api.slack.com "Verifying requests from Slack": the slash-command example (secret 8f742231…, ts 1531420618).
* razorpay — razorpay-python tests/test_client_utility.py (secret "key_secret") and razorpay-ruby
             test/razorpay/test_utility.rb (secret "chosen_webhook_secret"), both over tests/mocks/
             fake_payment_authorized_webhook.json.

When the provider's own SDK is importable (slack_sdk, razorpay), each case also records the SDK's verdict under `sdk`
(at the case's `now`); `expect` is hookrelay's answer and equals it unless the case names a `deviation`.

Usage:
    python3 -m venv /tmp/ga-venv && /tmp/ga-venv/bin/pip install slack_sdk razorpay   # optional, for `sdk` verdicts
    /tmp/ga-venv/bin/python scripts/vectors/make_group_a_vectors.py Tests/HookRelayTests/Vectors
"""

import base64
import hashlib
import hmac
import json
import os
import sys
from unittest import mock

try:
    from slack_sdk.signature import SignatureVerifier
except ImportError:  # the SDK is optional
    SignatureVerifier = None
try:
    import razorpay
except ImportError:
    razorpay = None

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z, seconds
NOW_MS = NOW * 1000


def mac(secret, message, digest=hashlib.sha256):
    return hmac.new(secret.encode(), message if isinstance(message, bytes) else message.encode(), digest).digest()


def hexmac(secret, message, digest=hashlib.sha256):
    return mac(secret, message, digest).hex()


def b64mac(secret, message, digest=hashlib.sha256):
    return base64.b64encode(mac(secret, message, digest)).decode()


def case(name, body, secrets, headers, now=NOW_MS, valid=True, code=None, reason=None, **extra):
    expect = {"valid": valid}
    if code:
        expect["code"] = code
    if reason:
        expect["reason"] = reason
    result = {"name": name, "body": body, "secrets": secrets, "headers": headers, "now": now, "expect": expect}
    result.update(extra)
    return result


def bad(code, reason=None):
    return {"valid": False, "code": code, **({"reason": reason} if reason else {})}


def standard_cases(body, tampered, secret, old, other, sign, header_name, malformed_values):
    """The cases every body-signing provider shares. `sign(secret, body)` returns the headers for a signed request."""
    return [
        case("valid", body, [secret], sign(secret, body)),
        case("tampered body", tampered, [secret], sign(secret, body), valid=False, code="bad_signature",
             reason="signature does not match"),
        case("wrong secret", body, [secret], sign(other, body), valid=False, code="bad_signature",
             reason="signature does not match"),
        case("missing header", body, [secret], [h for h in sign(secret, body) if h[0] != header_name], valid=False,
             code="missing_signature", reason=f"missing {header_name} header"),
        case("rotated secret: the old one signed", body, [secret, old], sign(old, body)),
        case("rotated secret: the new one signed", body, [secret, old], sign(secret, body)),
        case("two secrets, neither signed", body, [secret, old], sign(other, body), valid=False, code="bad_signature",
             reason="signature does not match any of 2 secrets"),
        case("signature header sent twice", body, [secret],
             sign(secret, body) + [h for h in sign(secret, body) if h[0] == header_name], valid=False,
             code="malformed_signature", reason=f"malformed {header_name} header"),
    ] + [
        case(f"malformed: {label}", body, [secret],
             [h if h[0] != header_name else [header_name, value] for h in sign(secret, body)], valid=False,
             code="malformed_signature", reason=f"malformed {header_name} header")
        for label, value in malformed_values(sign(secret, body))
    ]


def header_value(headers, name):
    return next(v for n, v in headers if n == name)


# ---------------------------------------------------------------------------------------------------------------------

def github():
    secret, old, other = "gh-hookrelay-current-5d41", "gh-hookrelay-previous-7b2e", "gh-someone-else"
    body = ('{"action":"opened","issue":{"number":1347,"title":"Gr\u00fc\u00dfe \U0001F680","body":"caf\\u00e9"},'
            '"repository":{"full_name":"octocat/Hello-World"},"sender":{"login":"octocat"}}')
    tampered = body.replace("1347", "1348")

    def sign(s, b):
        return [["Content-Type", "application/json"], ["X-GitHub-Event", "issues"],
                ["X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"],
                ["X-Hub-Signature-256", "sha256=" + hexmac(s, b.encode())]]

    def malformed(headers):
        sig = header_value(headers, "X-Hub-Signature-256")
        return [("no sha256= prefix", sig[7:]), ("sha1= prefix on a SHA-256 MAC", "sha1=" + sig[7:]),
                ("not hex", "sha256=" + "zz" * 32), ("truncated", sig[:-2]), ("empty", "")]

    cases = standard_cases(body, tampered, secret, old, other, sign, "X-Hub-Signature-256", malformed)
    doc = "Hello, World!"
    cases += [
        case("published: GitHub docs example", doc, ["It's a Secret to Everybody"],
             [["X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"]],
             source="docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries (Testing the webhook payload validation)"),
        case("uppercase hex", body, [secret],
             [["X-Hub-Signature-256", "sha256=" + hexmac(secret, body.encode()).upper()]]),
        case("legacy X-Hub-Signature (sha1) alone", body, [secret],
             [["X-Hub-Signature", "sha1=" + hexmac(secret, body.encode(), hashlib.sha1)]]),
        case("legacy sha1 alone, rotated", body, [secret, old],
             [["X-Hub-Signature", "sha1=" + hexmac(old, body.encode(), hashlib.sha1)]]),
        case("bad sha256 beside a good sha1: no fallback", body, [secret],
             [["X-Hub-Signature", "sha1=" + hexmac(secret, body.encode(), hashlib.sha1)],
              ["X-Hub-Signature-256", "sha256=" + hexmac(other, body.encode())]], valid=False, code="bad_signature"),
        case("legacy sha1 header with a sha256= value", body, [secret],
             [["X-Hub-Signature", "sha256=" + hexmac(secret, body.encode())]], valid=False, code="malformed_signature",
             reason="malformed X-Hub-Signature header"),
        case("no signature header at all", body, [secret], [["X-GitHub-Event", "issues"]], valid=False,
             code="missing_signature", reason="missing X-Hub-Signature-256 header"),
    ]
    form = "payload=" + "%7B%22zen%22%3A%22Design+for+failure.%22%2C%22hook_id%22%3A42%7D"
    cases.append(case("form-encoded body: the raw form bytes are signed", form, [secret],
                      [["Content-Type", "application/x-www-form-urlencoded"],
                       ["X-Hub-Signature-256", "sha256=" + hexmac(secret, form.encode())]]))
    return {"tolerance": None, "cases": cases}


def meta():
    secret, old, other = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", "00000000000000000000000000000000"
    # As Meta sends it: non-ASCII escaped with lowercase hex, slashes escaped.
    body = ('{"object":"page","entry":[{"id":"106541234567890","time":1767225590000,"messaging":[{"sender":{"id":"65432"},'
            '"recipient":{"id":"106541234567890"},"timestamp":1767225589000,"message":{"mid":"m_AbC\\/dEf==",'
            '"text":"J\\u00fcrgen \\ud83d\\ude00"}}]}]}')
    tampered = body.replace("J\\u00fcrgen", "J\\u00fcrgem")

    def sign(s, b):
        return [["Content-Type", "application/json"], ["X-Hub-Signature", "sha1=" + hexmac(s, b.encode(), hashlib.sha1)],
                ["X-Hub-Signature-256", "sha256=" + hexmac(s, b.encode())]]

    def malformed(headers):
        sig = header_value(headers, "X-Hub-Signature-256")
        return [("no prefix", sig[7:]), ("not hex", "sha256=" + "g" * 64), ("base64", "sha256=" + b64mac(secret, body))]

    cases = standard_cases(body, tampered, secret, old, other, sign, "X-Hub-Signature-256", malformed)
    unescaped = body.replace("J\\u00fcrgen", "J\u00fcrgen")
    cases += [
        case("the same text re-serialised unescaped does not verify", unescaped, [secret], sign(secret, body), valid=False,
             code="bad_signature"),
        case("legacy X-Hub-Signature (sha1) alone is not enough", body, [secret],
             [["X-Hub-Signature", "sha1=" + hexmac(secret, body.encode(), hashlib.sha1)]], valid=False,
             code="missing_signature", reason="missing X-Hub-Signature-256 header"),
    ]
    return {"tolerance": None, "cases": cases}


def shopify():
    secret, old, other = "shpss_hookrelay_current_3c5d", "shpss_hookrelay_previous_91ab", "shpss_other"
    body = ('{"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","id":820982911946154508,"name":"#1001",'
            '"email":"jon@example.com","note":"Z\u00fcrich \u20ac","total_price":"42.00"}')
    tampered = body.replace("42.00", "0.01")

    def sign(s, b):
        return [["Content-Type", "application/json"], ["X-Shopify-Topic", "orders/create"],
                ["X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"],
                ["X-Shopify-Hmac-Sha256", b64mac(s, b.encode())]]

    def malformed(headers):
        sig = header_value(headers, "X-Shopify-Hmac-Sha256")
        return [("hex instead of base64", hexmac(secret, body)), ("unpadded base64", sig.rstrip("=")),
                ("truncated", sig[:-4]), ("sha256= prefix", "sha256=" + sig)]

    return {"tolerance": None, "cases": standard_cases(body, tampered, secret, old, other, sign, "X-Shopify-Hmac-Sha256", malformed)}


def slack():
    secret, old, other = "8f742231b10e8888abcd99hookrelay1", "8f742231b10e8888abcd99hookrelay0", "00000000000000000000000000000000"
    body = ('{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"message",'
            '"channel":"C123ABC456","user":"U123ABC456","text":"Gr\u00fc\u00dfe \\u00e4","ts":"1767225590.000100"},'
            '"type":"event_callback","event_id":"Ev123ABC456","event_time":1767225590}')
    tampered = body.replace("C123ABC456", "C999ABC456")
    ts = NOW - 10

    def sign_at(s, b, t):
        return [["Content-Type", "application/json"], ["X-Slack-Request-Timestamp", str(t)],
                ["X-Slack-Signature", "v0=" + hexmac(s, f"v0:{t}:".encode() + b.encode())]]

    def sign(s, b):
        return sign_at(s, b, ts)

    def malformed(headers):
        sig = header_value(headers, "X-Slack-Signature")
        return [("no v0= prefix", sig[3:]), ("v1= prefix", "v1=" + sig[3:]), ("not hex", "v0=" + "x" * 64)]

    cases = standard_cases(body, tampered, secret, old, other, sign, "X-Slack-Signature", malformed)
    doc_body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
                "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
                "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
                "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    cases += [
        case("published: Slack docs example", doc_body, ["8f742231b10e8888abcd99yyyzzz85a5"],
             [["Content-Type", "application/x-www-form-urlencoded"], ["X-Slack-Request-Timestamp", "1531420618"],
              ["X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"]],
             now=1531420618 * 1000 + 30_000, source="api.slack.com/authentication/verifying-requests-from-slack"),
        case("timestamp 300 s old: accepted", body, [secret], sign_at(secret, body, NOW - 300)),
        case("timestamp 301 s old: stale", body, [secret], sign_at(secret, body, NOW - 301), valid=False,
             code="stale_timestamp", reason="timestamp outside tolerance by 1s"),
        case("timestamp an hour old: stale", body, [secret], sign_at(secret, body, NOW - 3600), valid=False,
             code="stale_timestamp", reason="timestamp outside tolerance by 3300s"),
        case("timestamp 300 s ahead: accepted", body, [secret], sign_at(secret, body, NOW + 300)),
        case("timestamp 10 minutes ahead: refused", body, [secret], sign_at(secret, body, NOW + 600), valid=False,
             code="stale_timestamp", reason="timestamp outside tolerance by 300s"),
        case("stale and tampered: the signature is reported", tampered, [secret], sign_at(secret, body, NOW - 3600),
             valid=False, code="bad_signature"),
        case("missing timestamp header", body, [secret],
             [h for h in sign(secret, body) if h[0] != "X-Slack-Request-Timestamp"], valid=False, code="missing_signature",
             reason="missing X-Slack-Request-Timestamp header"),
        case("non-numeric timestamp", body, [secret],
             [["X-Slack-Request-Timestamp", "yesterday"], ["X-Slack-Signature", header_value(sign(secret, body), "X-Slack-Signature")]],
             valid=False, code="malformed_signature", reason="malformed X-Slack-Request-Timestamp header"),
        case("timestamp with a sign", body, [secret], sign_at(secret, body, "+" + str(ts)), valid=False,
             code="malformed_signature"),
        case("signed with another timestamp than the header's", body, [secret],
             [["X-Slack-Request-Timestamp", str(ts)], ["X-Slack-Signature", header_value(sign_at(secret, body, ts - 1), "X-Slack-Signature")]],
             valid=False, code="bad_signature"),
    ]
    if SignatureVerifier:
        for c in cases:
            headers = {n.lower(): v for n, v in c["headers"]}
            verdicts = []
            for s in c["secrets"]:
                verifier = SignatureVerifier(s, clock=type("C", (), {"now": staticmethod(lambda c=c: c["now"] / 1000)})())
                try:
                    verdicts.append(verifier.is_valid(c["body"], headers.get("x-slack-request-timestamp"),
                                                      headers.get("x-slack-signature")))
                except ValueError:  # the SDK raises on a non-numeric timestamp
                    verdicts.append(False)
            c["sdk"] = {"valid": any(verdicts), "by": "slack_sdk.signature.SignatureVerifier.is_valid"}
            if "signature header sent twice" in c["name"]:
                c["deviation"] = "hookrelay refuses a duplicated signature header; the SDK sees one value"
            if c["name"] == "timestamp with a sign":
                c["deviation"] = "hookrelay accepts digits only; the SDK's int() also takes a leading '+'"
    return {"tolerance": 300, "cases": cases}


def zoom():
    secret, old, other = "hookrelayZoomSecretToken01", "hookrelayZoomSecretToken00", "someoneElseSecretToken"
    body = ('{"event":"meeting.started","event_ts":1767225590123,"payload":{"account_id":"AAAAAABBBB",'
            '"object":{"id":85746065432,"uuid":"4444AAAiAAAAAiAiAiiAii==","topic":"K\u00f6ln sync","type":2}}}')
    tampered = body.replace("85746065432", "85746065433")
    ts = NOW - 5

    def sign_at(s, b, t):
        return [["Content-Type", "application/json"], ["x-zm-request-timestamp", str(t)],
                ["x-zm-signature", "v0=" + hexmac(s, f"v0:{t}:".encode() + b.encode())]]

    def sign(s, b):
        return sign_at(s, b, ts)

    def malformed(headers):
        sig = header_value(headers, "x-zm-signature")
        return [("no v0= prefix", sig[3:]), ("not hex", "v0=" + "q" * 64), ("truncated", sig[:-1])]

    cases = standard_cases(body, tampered, secret, old, other, sign, "x-zm-signature", malformed)
    cases += [
        case("timestamp 301 s old: stale", body, [secret], sign_at(secret, body, NOW - 301), valid=False,
             code="stale_timestamp", reason="timestamp outside tolerance by 1s"),
        case("timestamp 10 minutes ahead: refused", body, [secret], sign_at(secret, body, NOW + 600), valid=False,
             code="stale_timestamp", reason="timestamp outside tolerance by 300s"),
        case("timestamp 299 s ahead: accepted", body, [secret], sign_at(secret, body, NOW + 299)),
        case("missing timestamp header", body, [secret], [h for h in sign(secret, body) if h[0] != "x-zm-request-timestamp"],
             valid=False, code="missing_signature", reason="missing x-zm-request-timestamp header"),
        case("timestamp in milliseconds", body, [secret], sign_at(secret, body, NOW_MS), valid=False, code="malformed_signature"),
    ]
    validation = '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1767225595000,"event":"endpoint.url_validation"}'
    cases.append(case("endpoint.url_validation is signed like any event", validation, [secret], sign(secret, validation),
                      encryptedToken=hexmac(secret, "qgg8vlvZRS6UYooatFL8Aw")))
    cases.append(case("endpoint.url_validation signed by the old secret: answered with the old secret", validation, [secret, old],
                      sign(old, validation), encryptedToken=hexmac(old, "qgg8vlvZRS6UYooatFL8Aw")))
    return {"tolerance": 300, "cases": cases}


def calendly():
    secret, old, other = "hookrelay-calendly-signing-key-1", "hookrelay-calendly-signing-key-0", "not-the-signing-key"
    body = ('{"created_at":"2025-12-31T23:59:50.000000Z","created_by":"https://api.calendly.com/users/AAAAAAAAAAAAAAAA",'
            '"event":"invitee.created","payload":{"uri":"https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/'
            'AAAAAAAAAAAAAAAA","email":"jurgen@example.com","name":"J\u00fcrgen M\u00fcller"}}')
    tampered = body.replace("jurgen@", "mallory@")
    t = NOW - 20

    def sign_at(s, b, when, extra=""):
        return [["Content-Type", "application/json; charset=utf-8"],
                ["Calendly-Webhook-Signature", f"t={when},{extra}v1=" + hexmac(s, f"{when}.".encode() + b.encode())]]

    def sign(s, b):
        return sign_at(s, b, t)

    def malformed(headers):
        sig = header_value(headers, "Calendly-Webhook-Signature")
        v1 = sig.split("v1=")[1]
        return [("no t", "v1=" + v1), ("t twice", f"t={t},t={t},v1={v1}"), ("non-numeric t", f"t=now,v1={v1}"),
                ("item without =", f"t={t},v1")]

    cases = standard_cases(body, tampered, secret, old, other, sign, "Calendly-Webhook-Signature", malformed)
    cases += [
        case("timestamp 180 s old: accepted", body, [secret], sign_at(secret, body, NOW - 180)),
        case("timestamp 181 s old: stale", body, [secret], sign_at(secret, body, NOW - 181), valid=False,
             code="stale_timestamp", reason="timestamp outside tolerance by 1s"),
        case("timestamp an hour ahead: accepted (old timestamps only, as Calendly's sample)", body, [secret],
             sign_at(secret, body, NOW + 3600)),
        case("no v1 signature", body, [secret], [["Calendly-Webhook-Signature", f"t={t}"]], valid=False,
             code="missing_signature"),
        case("v1 not hex", body, [secret], [["Calendly-Webhook-Signature", f"t={t},v1=nothex"]], valid=False,
             code="bad_signature"),
        case("two v1, the second matches", body, [secret],
             [["Calendly-Webhook-Signature", f"t={t},v1={hexmac(other, f'{t}.{body}')},v1={hexmac(secret, f'{t}.{body}')}"]]),
        case("spaces after commas", body, [secret],
             [["Calendly-Webhook-Signature", f"t={t}, v1={hexmac(secret, f'{t}.{body}')}"]]),
        case("unknown scheme ignored", body, [secret], sign_at(secret, body, t, extra="v0=abc,")),
    ]
    return {"tolerance": 180, "cases": cases}


# razorpay-python tests/mocks/fake_payment_authorized_webhook.json, byte for byte (971 bytes, final newline included).
RAZORPAY_SDK_BODY = '{\n  "event": "payment.authorized",\n  "entity": "event",\n  "contains": [\n    "payment"\n  ],\n  "payload": {\n    "payment": {\n      "entity": {\n        "id": "pay_6koWN7bvxujzxM",\n        "entity": "payment",\n        "amount": 1000000,\n        "currency": "INR",\n        "status": "captured",\n        "order_id": "order_100000000order",\n        "international": false,\n        "method": "card",\n        "amount_refunded": 0,\n        "refund_status": null,\n        "captured": true,\n        "description": "random description",\n        "card_id": "card_6koWNAT6LASUqy",\n        "bank": null,\n        "wallet": null,\n        "vpa": null,\n        "email": "a@b.com",\n        "contact": "+919999999999",\n        "notes": {\n          "merchant_order_id": "random order id"\n        },\n        "fee": 23000,\n        "service_tax": 3000,\n        "error_code": null,\n        "error_description": null,\n        "created_at": 1479978483\n      }\n    }\n  },\n  "created_at": 1400826760\n}\n'


def razorpay_vectors():
    secret, old, other = "hookrelay_rzp_webhook_secret", "hookrelay_rzp_webhook_secret_old", "someone_else"
    body = ('{"entity":"event","account_id":"acc_BFQ7uQEaa7j2z7","event":"payment.captured","contains":["payment"],'
            '"payload":{"payment":{"entity":{"id":"pay_DESlfW9H8K9uqM","entity":"payment","amount":100,"currency":"INR",'
            '"status":"captured","notes":{"city":"Bengal\u016bru"}}}},"created_at":1767225590}')
    tampered = body.replace('"amount":100', '"amount":1')

    def sign(s, b):
        return [["Content-Type", "application/json"], ["X-Razorpay-Event-Id", "Jb3iJtYdKDFKMR"],
                ["X-Razorpay-Signature", hexmac(s, b.encode())]]

    def malformed(headers):
        sig = header_value(headers, "X-Razorpay-Signature")
        return [("sha256= prefix", "sha256=" + sig), ("SDK test's dummy signature", "_dummy_signature" * 4),
                ("not hex", "z" * 64)]

    cases = standard_cases(body, tampered, secret, old, other, sign, "X-Razorpay-Signature", malformed)
    cases += [
        case("published: razorpay-python SDK test vector", RAZORPAY_SDK_BODY, ["key_secret"],
             [["X-Razorpay-Signature", "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"]],
             source="razorpay/razorpay-python tests/test_client_utility.py::test_verify_webhook_signature, mocks/fake_payment_authorized_webhook.json"),
        case("published: razorpay-ruby SDK test vector", RAZORPAY_SDK_BODY, ["chosen_webhook_secret"],
             [["X-Razorpay-Signature", "dda9ca344c56ccbd90167b1be0fd99dfa92fe2b827020f27e2a46024e31c7c99"]],
             source="razorpay/razorpay-ruby test/razorpay/test_utility.rb::test_webhook_signature_verification"),
        case("published body without its final newline", RAZORPAY_SDK_BODY.rstrip("\n"), ["key_secret"],
             [["X-Razorpay-Signature", "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"]], valid=False,
             code="bad_signature"),
    ]
    if razorpay:
        utility = razorpay.Client(auth=("key_id", "key_secret")).utility
        for c in cases:
            sig = dict(c["headers"]).get("X-Razorpay-Signature")
            verdicts = []
            for s in c["secrets"]:
                try:
                    verdicts.append(sig is not None and utility.verify_webhook_signature(c["body"], sig, s) is not False)
                except Exception:
                    verdicts.append(False)
            c["sdk"] = {"valid": any(verdicts), "by": "razorpay.Utility.verify_webhook_signature"}
            if c["name"] == "signature header sent twice":
                c["deviation"] = "hookrelay refuses a duplicated signature header; the SDK sees one value"
    return {"tolerance": None, "cases": cases}


def linear():
    secret, old, other = "lin_wh_hookrelay_current", "lin_wh_hookrelay_previous", "lin_wh_other"

    def body_at(ts):
        return ('{"action":"create","actor":{"id":"2e6eea91","name":"J\u00fcrgen"},"createdAt":"2025-12-31T23:59:59.000Z",'
                '"data":{"id":"9f5bbb56-6f2f-4a79-a7a8-3f1e1d0c0b1a","identifier":"ENG-42","title":"Gr\\u00fc\\u00dfe"},'
                '"url":"https://linear.app/x/issue/ENG-42","type":"Issue","organizationId":"c0ffee",'
                f'"webhookTimestamp":{ts},"webhookId":"000a1b2c"}}')

    body = body_at(NOW_MS - 2000)
    tampered = body.replace("ENG-42\",\"title", "ENG-43\",\"title")

    def sign(s, b):
        return [["Content-Type", "application/json; charset=utf-8"], ["Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72"],
                ["Linear-Event", "Issue"], ["Linear-Signature", hexmac(s, b.encode())]]

    def malformed(headers):
        sig = header_value(headers, "Linear-Signature")
        return [("sha256= prefix", "sha256=" + sig), ("not hex", "w" * 64), ("truncated", sig[:40])]

    cases = standard_cases(body, tampered, secret, old, other, sign, "Linear-Signature", malformed)
    for name, ts, valid, reason in [
        ("webhookTimestamp 60 s old: accepted", NOW_MS - 60_000, True, None),
        ("webhookTimestamp 61 s old: stale", NOW_MS - 61_000, False, "timestamp outside tolerance by 1s"),
        ("webhookTimestamp 60.5 s old: stale, rounded up", NOW_MS - 60_500, False, "timestamp outside tolerance by 1s"),
        ("webhookTimestamp 60 s ahead: accepted", NOW_MS + 60_000, True, None),
        ("webhookTimestamp 2 minutes ahead: refused", NOW_MS + 120_000, False, "timestamp outside tolerance by 60s"),
    ]:
        b = body_at(ts)
        cases.append(case(name, b, [secret], sign(secret, b), valid=valid, code=None if valid else "stale_timestamp",
                          reason=reason))
    no_ts = body.replace(f',"webhookTimestamp":{NOW_MS - 2000}', "")
    cases.append(case("no webhookTimestamp in a signed body", no_ts, [secret], sign(secret, no_ts), valid=False,
                      code="missing_signature", reason="body has no webhookTimestamp",
                      deviation="Linear's SDK skips the time check when the field is absent; hookrelay refuses"))
    float_ts = body_at(f"{NOW_MS - 1000}.0")
    cases.append(case("webhookTimestamp written as a float", float_ts, [secret], sign(secret, float_ts)))
    return {"tolerance": 60, "cases": cases}


def intercom():
    secret, old, other = "hookrelay_intercom_client_secret", "hookrelay_intercom_client_secret_old", "other_secret"
    body = ('{"type":"notification_event","app_id":"a86dr8yl","data":{"type":"notification_event_data","item":'
            '{"type":"conversation","id":"147","state":"open","source":{"body":"<p>Gr\u00fc\u00dfe</p>"}}},'
            '"links":{},"id":"notif_78c122d0-23ba-11e4-9464-79b01267cc2e","topic":"conversation.user.created",'
            '"delivery_status":"pending","delivery_attempts":1,"delivered_at":0,"first_sent_at":1767225590,"created_at":1767225590}')
    tampered = body.replace('"id":"147"', '"id":"148"')

    def sign(s, b):
        return [["Content-Type", "application/json"], ["X-Hub-Signature", "sha1=" + hexmac(s, b.encode(), hashlib.sha1)]]

    def malformed(headers):
        sig = header_value(headers, "X-Hub-Signature")
        return [("sha256= prefix", "sha256=" + sig[5:]), ("SHA-256 MAC", "sha256=" + hexmac(secret, body)),
                ("sha1= with a SHA-256-length MAC", "sha1=" + hexmac(secret, body)), ("no prefix", sig[5:])]

    return {"tolerance": None, "cases": standard_cases(body, tampered, secret, old, other, sign, "X-Hub-Signature", malformed)}


def bitbucket():
    secret, old, other = "hookrelay-bitbucket-secret", "hookrelay-bitbucket-secret-old", "guess"
    body = ('{"push":{"changes":[{"new":{"type":"branch","name":"main"}}]},"repository":{"type":"repository",'
            '"full_name":"team_name/repo_name"},"actor":{"display_name":"J\u00fcrgen"}}')
    tampered = body.replace("main", "prod")

    def sign(s, b):
        return [["Content-Type", "application/json"], ["X-Event-Key", "repo:push"],
                ["X-Request-UUID", "afe2d0a3-2ae2-4d4e-b3a3-b1bd5b8d5f1e"], ["X-Hub-Signature", "sha256=" + hexmac(s, b.encode())]]

    def malformed(headers):
        sig = header_value(headers, "X-Hub-Signature")
        return [("sha1= prefix", "sha1=" + sig[7:]), ("no prefix", sig[7:]), ("not hex", "sha256=" + "k" * 64)]

    cases = standard_cases(body, tampered, secret, old, other, sign, "X-Hub-Signature", malformed)
    cases.append(case("Atlassian's documented header shape (placeholder MAC): well-formed, does not match", body, [secret],
                      [["X-Hub-Signature", "sha256=c3383246d4fd871e66e962b50cc12222222222222222222222222222222222"]],
                      valid=False, code="malformed_signature",
                      note="the documented example has 62 hex digits; a real SHA-256 MAC has 64"))
    return {"tolerance": None, "cases": cases}


def jira():
    secret, old, other = "hookrelay-jira-secret", "hookrelay-jira-secret-old", "guess"
    body = ('{"timestamp":1767225590000,"webhookEvent":"jira:issue_created","issue_event_type_name":"issue_created",'
            '"user":{"accountId":"5b10a2844c20165700ede21g","displayName":"J\u00fcrgen"},'
            '"issue":{"id":"10002","key":"PROJ-7","fields":{"summary":"Gr\u00fc\u00dfe"}}}')
    tampered = body.replace("PROJ-7", "PROJ-8")

    def sign(s, b):
        return [["Content-Type", "application/json; charset=utf-8"], ["X-Atlassian-Webhook-Identifier", "38475912"],
                ["X-Hub-Signature", "sha256=" + hexmac(s, b.encode())]]

    def malformed(headers):
        sig = header_value(headers, "X-Hub-Signature")
        return [("method=signature style without algorithm", sig[7:]), ("sha512= prefix", "sha512=" + sig[7:])]

    cases = standard_cases(body, tampered, secret, old, other, sign, "X-Hub-Signature", malformed)
    cases += [
        case("uppercase hex", body, [secret], [["X-Hub-Signature", "sha256=" + hexmac(secret, body.encode()).upper()]]),
        case("GitHub's header name instead of Jira's", body, [secret],
             [["X-Hub-Signature-256", "sha256=" + hexmac(secret, body.encode())]], valid=False, code="missing_signature",
             reason="missing X-Hub-Signature header"),
        case("Atlassian's documented header shape (placeholder MAC, 62 digits)", body, [secret],
             [["X-Hub-Signature", "sha256=c3383246d4fd871e66e962b50cc12222222222222222222222222222222222"]], valid=False,
             code="malformed_signature"),
    ]
    return {"tolerance": None, "cases": cases}


PROVIDERS = {"github": github, "meta": meta, "shopify": shopify, "slack": slack, "zoom": zoom, "calendly": calendly,
             "razorpay": razorpay_vectors, "linear": linear, "intercom": intercom, "bitbucket": bitbucket, "jira": jira}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/HookRelayTests/Vectors"
    for name, make in PROVIDERS.items():
        vectors = make()
        document = {"source": f"Generated by scripts/vectors/make_group_a_vectors.py ({name}): signatures with Python's hmac; "
                              "published examples say where they come from. 'now' is unix ms; 'expect' is hookrelay's answer.",
                    "provider": name, **vectors}
        with open(os.path.join(out, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(document, f, indent=2, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()
