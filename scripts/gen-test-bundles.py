#!/usr/bin/env python3
"""Generate the Sigstore test fixtures in fixtures/signing/ (offline bundle verification).

A fake Sigstore instance, made only for tests:
  - a Fulcio-like CA: root + intermediate (ECDSA P-384), both named in trusted_root.json;
  - a CT log key and a Rekor key (ECDSA P-256), both named in trusted_root.json;
  - another CA and another CT log that are NOT in the trusted root.

Each bundle signs payload.bin (floe's signed payload for three example layers, see
`signed_payload` in src/oci/verify/bundle.rs) with a short-lived leaf certificate like Fulcio's:
empty subject, SAN e-mail (or URI), the OIDC issuer extensions 1.3.6.1.4.1.57264.1.1
(raw) and .1.8 (DER UTF8String), an embedded precertificate SCT (RFC 6962), and one
hashedrekord v0.0.1 transparency log entry with its canonicalized body, integrated time,
log id, a signed entry timestamp (inclusion promise) and an inclusion proof in a
5-leaf tree with a signed checkpoint.

The certificates are valid for 10 minutes in January 2025 and the log entry is
integrated one minute after issuance: verification checks validity at the integrated
time, not now, so the fixtures never expire.

Deterministic: keys are derived from fixed seeds and ECDSA signatures are RFC 6979, so
running the script again reproduces the same files byte for byte.

Usage: python3 scripts/gen-test-bundles.py [OUTPUT_DIR]   (default: fixtures/signing)
       python3 scripts/gen-test-bundles.py --sign PAYLOAD SUBJECT OUT   (one bundle, same test CA)
Needs the `cryptography` package (>= 44 for deterministic ECDSA).
"""

import base64
import datetime
import hashlib
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

OUT = sys.argv[1] if len(sys.argv) == 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "signing")

UTC = datetime.timezone.utc
CA_NOT_BEFORE = datetime.datetime(2020, 1, 1, tzinfo=UTC)
CA_NOT_AFTER = datetime.datetime(2100, 1, 1, tzinfo=UTC)
LEAF_NOT_BEFORE = datetime.datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
LEAF_NOT_AFTER = LEAF_NOT_BEFORE + datetime.timedelta(minutes=10)
INTEGRATED_TIME = int(LEAF_NOT_BEFORE.timestamp()) + 60

ISSUER = "https://issuer.floe.test"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_SUBJECT = "https://github.com/floe-dev/platform/.github/workflows/release.yml@refs/tags/v1.2.3"

OID_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")

# The three example layers of payload.bin (also in the Rust tests).
LAYERS = [
    ("application/vnd.floe.compiled-artifacts.v1+json",
     "sha256:" + hashlib.sha256(b"compiled_artifacts.json").hexdigest(), 1234),
    ("application/vnd.floe.spec.v1+yaml",
     "sha256:" + hashlib.sha256(b"floe.yaml").hexdigest(), 567),
    ("application/vnd.floe.deploy-settings.v1+yaml",
     "sha256:" + hashlib.sha256(b"deploy.yaml").hexdigest(), 89),
]

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P384_N = int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key(name: str, curve):
    """A private key derived from a fixed seed: the same on every run."""
    if isinstance(curve, ec.SECP384R1):
        seed, order = hashlib.sha384(b"floe-test-key:" + name.encode()).digest(), P384_N
    else:
        seed, order = hashlib.sha256(b"floe-test-key:" + name.encode()).digest(), P256_N
    return ec.derive_private_key(int.from_bytes(seed, "big") % (order - 1) + 1, curve)


def spki_der(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(private_key, data: bytes) -> bytes:
    h = hashes.SHA384() if isinstance(private_key.curve, ec.SECP384R1) else hashes.SHA256()
    return private_key.sign(data, ec.ECDSA(h, deterministic_signing=True))


def serial(name: str) -> int:
    return int.from_bytes(hashlib.sha256(b"floe-test-serial:" + name.encode()).digest()[:16], "big") >> 1


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_octet_string(data: bytes) -> bytes:
    return b"\x04" + der_len(len(data)) + data


def der_utf8_string(text: str) -> bytes:
    data = text.encode()
    return b"\x0c" + der_len(len(data)) + data


def name(cn: str):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "floe.test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca_cert(cn, private_key, issuer_cert, issuer_key, path_length):
    subject = name(cn)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert else subject)
               .public_key(private_key.public_key())
               .serial_number(serial(cn))
               .not_valid_before(CA_NOT_BEFORE)
               .not_valid_after(CA_NOT_AFTER)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), False))
    if issuer_cert is not None:
        builder = (builder
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False))
    return builder.sign(issuer_key or private_key, hashes.SHA384(), ecdsa_deterministic=True)


def sct_list(tbs_precert: bytes, issuer_spki: bytes, ct_key, timestamp_ms: int) -> bytes:
    """An RFC 6962 SignedCertificateTimestampList with one precertificate SCT."""
    log_id = hashlib.sha256(spki_der(ct_key)).digest()
    extensions = b""
    signed = (b"\x00"  # version v1
              + b"\x00"  # signature_type certificate_timestamp
              + struct.pack(">Q", timestamp_ms)
              + struct.pack(">H", 1)  # entry_type precert_entry
              + hashlib.sha256(issuer_spki).digest()
              + len(tbs_precert).to_bytes(3, "big") + tbs_precert
              + struct.pack(">H", len(extensions)) + extensions)
    signature = sign(ct_key, signed)
    sct = (b"\x00" + log_id + struct.pack(">Q", timestamp_ms)
           + struct.pack(">H", len(extensions)) + extensions
           + b"\x04\x03"  # sha256, ecdsa
           + struct.pack(">H", len(signature)) + signature)
    entry = struct.pack(">H", len(sct)) + sct
    return struct.pack(">H", len(entry)) + entry


def leaf_cert(tag, leaf_key, issuer_cert, issuer_key, ct_key, san, issuer_url, issuer_v2=True):
    """A Fulcio-like code-signing leaf with an embedded SCT (the SCT extension last)."""
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([]))
               .issuer_name(issuer_cert.subject)
               .public_key(leaf_key.public_key())
               .serial_number(serial("leaf:" + tag))
               .not_valid_before(LEAF_NOT_BEFORE)
               .not_valid_after(LEAF_NOT_AFTER)
               .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False)
               .add_extension(x509.SubjectAlternativeName([san]), True)
               .add_extension(x509.UnrecognizedExtension(OID_ISSUER_V1, issuer_url.encode()), False))
    if issuer_v2:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(OID_ISSUER_V2, der_utf8_string(issuer_url)), False)
    # The precertificate's TBS is the final TBS without the SCT list extension.
    precert = builder.sign(issuer_key, hashes.SHA384(), ecdsa_deterministic=True)
    issuer_spki = issuer_cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    scts = sct_list(precert.tbs_certificate_bytes, issuer_spki, ct_key,
                    int(LEAF_NOT_BEFORE.timestamp()) * 1000 + 123)
    builder = builder.add_extension(x509.UnrecognizedExtension(OID_SCT_LIST, der_octet_string(scts)), False)
    return builder.sign(issuer_key, hashes.SHA384(), ecdsa_deterministic=True)


# RFC 6962 Merkle tree hashing.
def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def audit_path(index, leaves):
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if index < k:
        return audit_path(index, leaves[:k]) + [mth(leaves[k:])]
    return audit_path(index - k, leaves[k:]) + [mth(leaves[:k])]


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def tlog_entry(cert, signature: bytes, digest: bytes, rekor_key, log_index=4242, tree_index=3, tree_size=5):
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    body = canonical_json({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
            "signature": {"content": b64(signature), "publicKey": {"content": b64(cert_pem)}},
        },
    })
    log_id = hashlib.sha256(spki_der(rekor_key)).digest()
    set_payload = canonical_json({
        "body": b64(body),
        "integratedTime": INTEGRATED_TIME,
        "logID": log_id.hex(),
        "logIndex": log_index,
    })
    leaves = [leaf_hash(b"floe-test-other-entry-%d" % i) for i in range(tree_size)]
    leaves[tree_index] = leaf_hash(body)
    root = mth(leaves)
    note = "rekor.floe.test - 4242424242\n%d\n%s\n" % (tree_size, b64(root))
    note_sig = sign(rekor_key, note.encode())
    checkpoint = note + "\n" + "\u2014 rekor.floe.test " + b64(log_id[:4] + note_sig) + "\n"
    return {
        "logIndex": str(log_index),
        "logId": {"keyId": b64(log_id)},
        "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
        "integratedTime": str(INTEGRATED_TIME),
        "inclusionPromise": {"signedEntryTimestamp": b64(sign(rekor_key, set_payload))},
        "inclusionProof": {
            "logIndex": str(tree_index),
            "rootHash": b64(root),
            "treeSize": str(tree_size),
            "hashes": [b64(h) for h in audit_path(tree_index, leaves)],
            "checkpoint": {"envelope": checkpoint},
        },
        "canonicalizedBody": b64(body),
    }


def bundle(cert, leaf_key, payload: bytes, rekor_key) -> dict:
    digest = hashlib.sha256(payload).digest()
    signature = sign(leaf_key, payload)
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))},
            "tlogEntries": [tlog_entry(cert, signature, digest, rekor_key)],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)},
            "signature": b64(signature),
        },
    }


def transparency_log(url, private_key):
    spki = spki_der(private_key)
    return {
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": b64(spki),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": "2020-01-01T00:00:00Z"},
        },
        "logId": {"keyId": b64(hashlib.sha256(spki).digest())},
    }


def signed_payload(layers) -> bytes:
    return json.dumps([{"mediaType": m, "digest": d, "size": s} for (m, d, s) in layers],
                      separators=(",", ":")).encode()


def write(filename: str, data: bytes):
    with open(os.path.join(OUT, filename), "wb") as f:
        f.write(data)


def write_json(filename: str, value):
    write(filename, (json.dumps(value, indent=2) + "\n").encode())


def main():
    os.makedirs(OUT, exist_ok=True)
    p384, p256 = ec.SECP384R1(), ec.SECP256R1()

    root_key, inter_key = key("fulcio-root", p384), key("fulcio-intermediate", p384)
    root = ca_cert("floe-test-fulcio-root", root_key, None, None, 1)
    inter = ca_cert("floe-test-fulcio-intermediate", inter_key, root, root_key, 0)
    ct_key, rekor_key = key("ctlog", p256), key("rekor", p256)

    other_root_key = key("untrusted-root", p384)
    other_root = ca_cert("untrusted-fulcio-root", other_root_key, None, None, 1)
    other_ct_key = key("untrusted-ctlog", p256)

    trusted_root = {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [transparency_log("https://rekor.floe.test", rekor_key)],
        "certificateAuthorities": [{
            "subject": {"organization": "floe.test", "commonName": "floe-test-fulcio"},
            "uri": "https://fulcio.floe.test",
            "certChain": {"certificates": [
                {"rawBytes": b64(inter.public_bytes(serialization.Encoding.DER))},
                {"rawBytes": b64(root.public_bytes(serialization.Encoding.DER))},
            ]},
            "validFor": {"start": "2020-01-01T00:00:00Z"},
        }],
        "ctlogs": [transparency_log("https://ctfe.floe.test", ct_key)],
        "timestampAuthorities": [],
    }

    payload = signed_payload(LAYERS)
    write("payload.bin", payload)
    write_json("trusted_root.json", trusted_root)
    write("fulcio-root.pem", root.public_bytes(serialization.Encoding.PEM))
    write("fulcio-intermediate.pem", inter.public_bytes(serialization.Encoding.PEM))
    write("untrusted-root.pem", other_root.public_bytes(serialization.Encoding.PEM))

    def make(filename, tag, san, issuer_url=ISSUER, ca=(inter, inter_key), ct=ct_key, issuer_v2=True):
        leaf_key = key("leaf:" + tag, p256)
        cert = leaf_cert(tag, leaf_key, ca[0], ca[1], ct, san, issuer_url, issuer_v2)
        write(filename.replace(".json", ".pem"), cert.public_bytes(serialization.Encoding.PEM))
        write_json(filename, bundle(cert, leaf_key, payload, rekor_key))

    email = x509.RFC822Name
    # ci@floe.dev, issuer https://issuer.floe.test: verifies.
    make("bundle-good.json", "good", email("ci@floe.dev"))
    # Another identity from the same issuer: verifies, but only a policy naming it accepts it.
    make("bundle-other-identity.json", "other", email("other@floe.dev"))
    # A GitHub Actions workflow identity (URI SAN) with only the legacy issuer extension (.1.1).
    make("bundle-github-uri.json", "github", x509.UniformResourceIdentifier(GITHUB_SUBJECT),
         issuer_url=GITHUB_ISSUER, issuer_v2=False)
    # Issued by a CA that is not in the trusted root.
    make("bundle-other-ca.json", "other-ca", email("ci@floe.dev"), ca=(other_root, other_root_key))
    # Trusted CA, but the SCT comes from a CT log that is not in the trusted root.
    make("bundle-bad-sct.json", "bad-sct", email("ci@floe.dev"), ct=other_ct_key)

    # base64 of the good bundle, as the dev.floe.signature.bundle annotation carries it.
    with open(os.path.join(OUT, "bundle-good.json"), "rb") as f:
        write("bundle-good.b64", base64.b64encode(f.read()) + b"\n")


def sign_payload(payload_file: str, subject: str, out_file: str):
    """Sign any payload with the fixtures' trusted test CA (same seeds as main()),
    for end-to-end tests that sign an artifact made at test time."""
    p384, p256 = ec.SECP384R1(), ec.SECP256R1()
    root_key, inter_key = key("fulcio-root", p384), key("fulcio-intermediate", p384)
    root = ca_cert("floe-test-fulcio-root", root_key, None, None, 1)
    inter = ca_cert("floe-test-fulcio-intermediate", inter_key, root, root_key, 0)
    ct_key, rekor_key = key("ctlog", p256), key("rekor", p256)
    with open(payload_file, "rb") as f:
        payload = f.read()
    tag = "e2e:" + subject
    leaf_key = key("leaf:" + tag, p256)
    cert = leaf_cert(tag, leaf_key, inter, inter_key, ct_key, x509.RFC822Name(subject), ISSUER)
    with open(out_file, "w") as f:
        json.dump(bundle(cert, leaf_key, payload, rekor_key), f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    # gen-test-bundles.py --sign PAYLOAD SUBJECT OUT: one bundle for PAYLOAD,
    # signed as SUBJECT (issuer https://issuer.floe.test) by the test CA of
    # fixtures/signing/trusted_root.json.
    if len(sys.argv) == 5 and sys.argv[1] == "--sign":
        sign_payload(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
