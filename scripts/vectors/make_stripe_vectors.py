#!/usr/bin/env python3
"""Generates Tests/HookRelayTests/Vectors/stripe.json with Stripe's own Python SDK.

Every header is made by the SDK (`WebhookSignature.generate_signature_header` or `_compute_signature`), and every
case records whether `WebhookSignature.verify_header` (and, for a non-empty body,
`Webhook.construct_event`) accepts it at the case's fixed "now" (the SDK's `time.time` is
patched). A case with several configured secrets passes when the SDK accepts it with any one of them, as a
receiver that tries each secret would.

`expect` is hookrelay's expected answer, written here by hand: `valid` must equal the SDK's verdict unless the case
names a `deviation` (a documented, deliberate difference).

Usage (the SDK is never committed):
    python3 -m venv /tmp/stripe-venv && /tmp/stripe-venv/bin/pip install stripe
    /tmp/stripe-venv/bin/python scripts/vectors/make_stripe_vectors.py > Tests/HookRelayTests/Vectors/stripe.json
"""

import json
import sys
from unittest import mock

import stripe
from stripe import Webhook, WebhookSignature

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
TOLERANCE = Webhook.DEFAULT_TOLERANCE
SECRET = "whsec_hookrelay_test_current_7f3a9c"
OLD_SECRET = "whsec_hookrelay_test_previous_51be0d"
OTHER_SECRET = "whsec_someone_else_entirely_c0ffee"

# Non-ASCII both as raw UTF-8 (Zürich, €, an emoji) and as a JSON escape (\u00e4): signatures cover the exact bytes.
PAYLOAD = (
    '{\n  "id": "evt_1QhookrelayVector",\n  "object": "event",\n  "api_version": "2024-06-20",\n'
    '  "created": 1767225590,\n  "type": "invoice.payment_failed",\n  "livemode": false,\n'
    '  "data": {\n    "object": {\n      "id": "in_1QhookrelayInvoice",\n      "object": "invoice",\n'
    '      "amount_due": 4200,\n      "currency": "eur",\n      "customer_address": {"city": "Z\u00fcrich"},\n'
    '      "description": "Gr\\u00e4tzer \u20ac \U0001F680"\n    }\n  }\n}'
)
TAMPERED = PAYLOAD.replace('"amount_due": 4200', '"amount_due": 1')


def sign(payload, secret, timestamp):
    """The hex v1 signature, as the SDK computes it."""
    return WebhookSignature._compute_signature(f"{timestamp}.{payload}", secret)


def sdk_verdict(payload, header, secrets):
    """Whether the SDK accepts the request with any of `secrets` at NOW, and the SDK's last message."""
    errors = []
    with mock.patch("stripe._webhook.time.time", return_value=float(NOW)):
        for secret in secrets:
            try:
                WebhookSignature.verify_header(payload, header, secret, tolerance=TOLERANCE)
                if payload:  # what construct_event does next: the body parses as a Stripe event
                    Webhook.construct_event(payload, header, secret, tolerance=TOLERANCE)
                return {"valid": True}
            except stripe.SignatureVerificationError as error:
                errors.append(str(error).split(";")[0])
    return {"valid": False, "error": errors[-1]}


def case(name, header, expect, secrets=(SECRET,), payload=PAYLOAD, deviation=None):
    out = {"name": name, "payload": payload, "secrets": list(secrets), "header": header, "now": NOW}
    out["sdk"] = sdk_verdict(payload, header, secrets)
    out["expect"] = expect
    if deviation:
        out["deviation"] = deviation
    elif out["sdk"]["valid"] != expect["valid"]:
        sys.exit(f"{name}: the SDK says valid={out['sdk']['valid']}, the expectation says {expect['valid']}")
    return out


PASS = {"valid": True}


def fail(code, reason=None):
    out = {"valid": False, "code": code}
    if reason:
        out["reason"] = reason
    return out


t = NOW - 10
good = sign(PAYLOAD, SECRET, t)
cases = [
    case("valid", WebhookSignature.generate_signature_header(PAYLOAD, SECRET, timestamp=t), PASS),
    case("valid at the current second", WebhookSignature.generate_signature_header(PAYLOAD, SECRET, timestamp=NOW), PASS),
    case("tampered body", f"t={t},v1={good}", fail("bad_signature", "signature does not match"), payload=TAMPERED),
    case("wrong secret", WebhookSignature.generate_signature_header(PAYLOAD, OTHER_SECRET, timestamp=t),
         fail("bad_signature", "signature does not match")),
    case("two v1 during rotation, the second matches", f"t={t},v1={sign(PAYLOAD, OLD_SECRET, t)},v1={good}", PASS),
    case("two v1 during rotation, the first matches", f"t={t},v1={good},v1={sign(PAYLOAD, OLD_SECRET, t)}", PASS),
    case("v0 only", f"t={t},v0={good}", fail("missing_signature", "no v1 signature in Stripe-Signature")),
    case("v0 and a valid v1", f"t={t},v0={sign(PAYLOAD, OTHER_SECRET, t)},v1={good}", PASS),
    case("stale timestamp, 301 s old", WebhookSignature.generate_signature_header(PAYLOAD, SECRET, timestamp=NOW - 301),
         fail("stale_timestamp", "timestamp outside tolerance by 1s")),
    case("stale timestamp, an hour old", WebhookSignature.generate_signature_header(PAYLOAD, SECRET, timestamp=NOW - 3600),
         fail("stale_timestamp", "timestamp outside tolerance by 3300s")),
    case("timestamp exactly at the tolerance", WebhookSignature.generate_signature_header(PAYLOAD, SECRET, timestamp=NOW - 300),
         PASS),
    case("stale timestamp and a bad signature: the signature is checked first",
         f"t={NOW - 3600},v1={sign(PAYLOAD, OTHER_SECRET, NOW - 3600)}", fail("bad_signature")),
    case("future timestamp, an hour ahead", WebhookSignature.generate_signature_header(PAYLOAD, SECRET, timestamp=NOW + 3600),
         PASS),
    case("missing header", None, fail("missing_signature", "missing Stripe-Signature header")),
    case("empty header", "", fail("malformed_signature")),
    case("t missing", f"v1={good}", fail("malformed_signature", "malformed Stripe-Signature header")),
    case("non-numeric t", f"t=yesterday,v1={good}", fail("malformed_signature", "malformed Stripe-Signature header")),
    case("negative t", f"t=-{t},v1={sign(PAYLOAD, SECRET, -t)}", fail("malformed_signature")),
    case("v1 not hex", f"t={t},v1=not-a-signature", fail("bad_signature")),
    case("v1 not hex beside a valid v1", f"t={t},v1=zz,v1={good}", PASS),
    case("v1 truncated", f"t={t},v1={good[:32]}", fail("bad_signature")),
    case("two secrets, the current one matches", WebhookSignature.generate_signature_header(PAYLOAD, SECRET, timestamp=t),
         PASS, secrets=(SECRET, OLD_SECRET)),
    case("two secrets, only the old one matches",
         WebhookSignature.generate_signature_header(PAYLOAD, OLD_SECRET, timestamp=t), PASS, secrets=(SECRET, OLD_SECRET)),
    case("two secrets, neither matches", WebhookSignature.generate_signature_header(PAYLOAD, OTHER_SECRET, timestamp=t),
         fail("bad_signature", "signature does not match any of 2 secrets"), secrets=(SECRET, OLD_SECRET)),
    case("empty body", WebhookSignature.generate_signature_header("", SECRET, timestamp=t), PASS, payload=""),
    # Deliberate differences: hookrelay is stricter or more lenient only where it cannot let a forgery through.
    case("uppercase hex v1", f"t={t},v1={good.upper()}", PASS,
         deviation="hookrelay compares MAC bytes, so uppercase hex of the right MAC passes; the SDK compares lowercase text"),
    case("spaces after commas", f"t={t}, v1={good}", PASS,
         deviation="hookrelay trims spaces around items; the SDK would look for a key named ' v1'"),
    case("t with a leading zero, signed as the SDK formats it", f"t=0{t},v1={good}", fail("bad_signature"),
         deviation="hookrelay signs t exactly as sent ('0…'); the SDK re-formats the parsed integer. Stripe never pads t"),
]

print(json.dumps({
    "source": f"Generated by scripts/vectors/make_stripe_vectors.py with Stripe's Python SDK (stripe {stripe.VERSION}): headers from "
              "WebhookSignature.generate_signature_header/_compute_signature; sdk = WebhookSignature.verify_header/Webhook.construct_event at 'now' "
              "(time.time patched), tolerance 300 s. 'expect' is hookrelay's answer; it equals the SDK's verdict except "
              "where 'deviation' says why.",
    "tolerance": TOLERANCE,
    "cases": cases,
}, indent=2, ensure_ascii=True))
