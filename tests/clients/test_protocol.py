"""The store's answers to raw, malformed, hostile and unusual requests: S3
errors (never a crash, never a file outside the data directory), aws-chunked
and HTTP-chunked bodies, Expect: 100-continue, presigned expiry, metrics."""
import binascii
import datetime
import hashlib
import hmac
import os
import socket
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

from storefixture import USERS, StoreServer

EMPTY_SHA = hashlib.sha256(b"").hexdigest()


class Raw:
    """One HTTP/1.1 connection with raw bytes."""

    def __init__(self, endpoint):
        host, port = endpoint.replace("http://", "").split(":")
        self.host = f"{host}:{port}"
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def read_response(self):
        """(status, headers dict lower-case, body)."""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before a response head")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def close(self):
        self.sock.close()


def sign(server, method, path, headers=None, body=b"", payload_hash=None, profile="default", secret=None, query=""):
    """SigV4 headers for a raw request; `path` is signed exactly as it goes on the wire (as S3 does).
    Written out here rather than borrowed from botocore, which replaces x-amz-content-sha256 with
    its own hash and so cannot sign streaming or deliberately wrong payload claims."""
    key, real = USERS[profile]
    secret = secret or real
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    hdrs = {k.lower(): str(v).strip() for k, v in (headers or {}).items()}
    hdrs["host"] = server.endpoint.replace("http://", "")
    hdrs["x-amz-date"] = amz_date
    hdrs["x-amz-content-sha256"] = payload_hash or hashlib.sha256(body).hexdigest()
    names = sorted(hdrs)
    creq = "\n".join([method, path, query, "".join(f"{n}:{hdrs[n]}\n" for n in names), ";".join(names),
                      hdrs["x-amz-content-sha256"]])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = hmac.new(("AWS4" + secret).encode(), amz_date[:8].encode(), hashlib.sha256).digest()
    for part in ("us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    out = {n: hdrs[n] for n in names if n != "host"}  # every header given, signed
    out["X-Amz-Date"] = out.pop("x-amz-date")
    out["Authorization"] = f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={';'.join(names)}, Signature={sig}"
    return out


def request_bytes(server, method, path, headers, body=b""):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {server.endpoint.replace('http://', '')}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def error_code(body):
    return ET.fromstring(body).find("Code").text


class ProtocolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = StoreServer().start()
        cls.s3 = cls.server.boto3_client()
        cls.s3.create_bucket(Bucket="proto")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def signed(self, method, path, body=b"", extra=None, **kw):
        h = sign(self.server, method, path, headers=extra, body=body, **kw)
        if body or method in ("PUT", "POST"):
            h["Content-Length"] = str(len(body))
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, method, path, h, body))
        r = c.read_response()
        c.close()
        return r

    def assertAlive(self):
        self.assertEqual(self.s3.head_bucket(Bucket="proto")["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_error_xml_has_request_id_of_header(self):
        status, headers, body = self.signed("GET", "/proto/missing-key")
        self.assertEqual(status, 404)
        doc = ET.fromstring(body)
        self.assertEqual(doc.find("Code").text, "NoSuchKey")
        self.assertEqual(doc.find("Resource").text, "/proto/missing-key")
        self.assertTrue(doc.find("Message").text)
        self.assertEqual(doc.find("RequestId").text, headers["x-amz-request-id"])

    def test_malformed_request_lines_and_heads(self):
        for junk in (b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
                     b"\x00\x01\x02\r\n\r\n"):
            c = Raw(self.server.endpoint)
            c.send(junk)
            status, _, _ = c.read_response()
            self.assertEqual(status, 400, junk)
            c.close()
        c = Raw(self.server.endpoint)
        c.send(b"GET /proto HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
        try:
            status, _, _ = c.read_response()
            self.assertEqual(status, 431)
        except (ConnectionError, OSError):
            pass  # closing on an oversized head is acceptable too
        c.close()
        self.assertAlive()

    def test_bad_credentials(self):
        status, _, body = self.signed("GET", "/proto", secret="wrong")
        self.assertEqual((status, error_code(body)), (403, "SignatureDoesNotMatch"))
        req = request_bytes(self.server, "GET", "/proto", {})
        c = Raw(self.server.endpoint)
        c.send(req)
        status, _, body = c.read_response()
        self.assertEqual((status, error_code(body)), (403, "AccessDenied"))
        c.close()
        h = sign(self.server, "GET", "/proto")
        h["Authorization"] = h["Authorization"].replace(USERS["default"][0], "AKIAUNKNOWNUSER00000")
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "GET", "/proto", h))
        status, _, body = c.read_response()
        self.assertEqual((status, error_code(body)), (403, "InvalidAccessKeyId"))
        c.close()
        h = sign(self.server, "GET", "/proto")
        h["Authorization"] = "AWS4-HMAC-SHA256 Credential=garbage"
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "GET", "/proto", h))
        status, _, body = c.read_response()
        self.assertEqual((status, error_code(body)), (400, "AuthorizationHeaderMalformed"))
        c.close()

    def test_hostile_keys_get_s3_errors_and_touch_nothing_outside(self):
        cases = {
            "/proto/" + "k" * 1025: "KeyTooLongError",
            "/proto/bad%FFutf8": "InvalidArgument",
            "/proto/a/../../../etc/passwd": "InvalidArgument",
            "/proto/..%2F..%2Fescape": "InvalidArgument",
            "/proto//absolute": "InvalidArgument",
            "/proto/nul%00byte": "InvalidArgument",
            "/Bad_Bucket/key": "InvalidBucketName",
        }
        for path, code in cases.items():
            status, _, body = self.signed("PUT", path, body=b"payload")
            self.assertEqual(status, 400, path)
            self.assertEqual(error_code(body), code, path)
        parent = os.path.dirname(self.server.data_dir)
        self.assertEqual(sorted(os.listdir(parent)), sorted(["access.log", "credentials", "data", "server.log"]))
        self.assertFalse(os.path.exists("/etc/passwd.tmp"))
        self.assertAlive()

    def test_content_md5_invalid_and_sha256_mismatch(self):
        status, _, body = self.signed("PUT", "/proto/x", body=b"abc", extra={"Content-MD5": "notbase64!!"})
        self.assertEqual((status, error_code(body)), (400, "InvalidDigest"))
        status, _, body = self.signed("PUT", "/proto/x", body=b"abc", payload_hash=hashlib.sha256(b"abd").hexdigest())
        self.assertEqual((status, error_code(body)), (400, "XAmzContentSHA256Mismatch"))
        self.assertEqual(self.s3.list_objects_v2(Bucket="proto", Prefix="x").get("KeyCount"), 0)

    def test_checksum_header_verified(self):
        good = binascii.b2a_base64(zlib.crc32(b"hello").to_bytes(4, "big"), newline=False).decode()
        status, headers, _ = self.signed("PUT", "/proto/crc", body=b"hello", extra={"x-amz-checksum-crc32": good})
        self.assertEqual(status, 200)
        self.assertEqual(headers["x-amz-checksum-crc32"], good)
        status, _, body = self.signed("PUT", "/proto/crc", body=b"hellp", extra={"x-amz-checksum-crc32": good})
        self.assertEqual((status, error_code(body)), (400, "BadDigest"))
        self.assertEqual(self.s3.get_object(Bucket="proto", Key="crc")["Body"].read(), b"hello")

    def test_missing_content_length_and_truncated_body(self):
        h = sign(self.server, "PUT", "/proto/nolen", payload_hash="UNSIGNED-PAYLOAD")
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "PUT", "/proto/nolen", h))
        status, _, body = c.read_response()
        self.assertEqual((status, error_code(body)), (411, "MissingContentLength"))
        c.close()
        # A client that promises 1 MB and leaves after 10 bytes: nothing is stored.
        h = sign(self.server, "PUT", "/proto/cut", payload_hash="UNSIGNED-PAYLOAD")
        h["Content-Length"] = "1000000"
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "PUT", "/proto/cut", h, b"0123456789"))
        c.sock.shutdown(socket.SHUT_WR)
        time.sleep(0.3)
        c.close()
        time.sleep(0.2)
        self.assertEqual(self.s3.list_objects_v2(Bucket="proto", Prefix="cut").get("KeyCount"), 0)
        self.assertEqual(os.listdir(os.path.join(self.server.data_dir, "tmp")), [])
        self.assertAlive()

    def test_expect_100_continue_answered_at_once(self):
        body = os.urandom(100_000)
        h = sign(self.server, "PUT", "/proto/expect", body=body)
        h["Content-Length"] = str(len(body))
        h["Expect"] = "100-continue"
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "PUT", "/proto/expect", h))
        t0 = time.time()
        status, _, _ = c.read_response()
        self.assertEqual(status, 100)
        self.assertLess(time.time() - t0, 0.5)
        c.send(body)
        status, _, _ = c.read_response()
        self.assertEqual(status, 200)
        c.close()
        # Refused before the body: the error comes instead of 100, and the body never moves.
        h = sign(self.server, "PUT", "/no-such-bucket/k", body=body)
        h["Content-Length"] = str(len(body))
        h["Expect"] = "100-continue"
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "PUT", "/no-such-bucket/k", h))
        status, _, resp = c.read_response()
        self.assertEqual((status, error_code(resp)), (404, "NoSuchBucket"))
        c.close()

    def test_http_chunked_transfer_encoding(self):
        payload = b"".join(os.urandom(1000) for _ in range(50))
        h = sign(self.server, "PUT", "/proto/te-chunked", payload_hash="UNSIGNED-PAYLOAD")
        h["Transfer-Encoding"] = "chunked"
        wire = b""
        for i in range(0, len(payload), 7000):
            piece = payload[i:i + 7000]
            wire += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        wire += b"0\r\n\r\n"
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "PUT", "/proto/te-chunked", h, wire))
        status, _, body = c.read_response()
        self.assertEqual(status, 200, body)
        c.close()
        self.assertEqual(self.s3.get_object(Bucket="proto", Key="te-chunked")["Body"].read(), payload)

    def _signing_key(self, date):
        secret = USERS["default"][1]
        k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
        for part in ("us-east-1", "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        return k

    def test_aws_chunked_signed_payload(self):
        payload = os.urandom(200_000)
        chunk = 64 * 1024
        wire_len = 0
        pieces = [payload[i:i + chunk] for i in range(0, len(payload), chunk)] + [b""]
        for p in pieces:
            wire_len += len(f"{len(p):x};chunk-signature=".encode()) + 64 + 2 + len(p) + 2
        extra = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload)),
                 "Content-Length": str(wire_len)}
        h = sign(self.server, "PUT", "/proto/aws-chunked", headers=extra,
                 payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        amz_date = h["X-Amz-Date"]
        scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
        prev = h["Authorization"].split("Signature=")[1]
        key = self._signing_key(amz_date[:8])

        def body(corrupt=False):
            out, prev_sig = b"", prev
            for p in pieces:
                sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev_sig, EMPTY_SHA,
                                 hashlib.sha256(p).hexdigest()])
                sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
                if corrupt and p:
                    sig = "0" * 64
                out += f"{len(p):x};chunk-signature={sig}\r\n".encode() + p + b"\r\n"
                prev_sig = sig
            return out

        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "PUT", "/proto/aws-chunked", h, body()))
        status, _, resp = c.read_response()
        self.assertEqual(status, 200, resp)
        c.close()
        got = self.s3.get_object(Bucket="proto", Key="aws-chunked")
        self.assertEqual(got["Body"].read(), payload)
        self.assertNotIn("aws-chunked", got.get("ContentEncoding", ""))
        c = Raw(self.server.endpoint)
        c.send(request_bytes(self.server, "PUT", "/proto/aws-chunked-bad", h, body(corrupt=True)))
        status, _, resp = c.read_response()
        self.assertEqual((status, error_code(resp)), (403, "SignatureDoesNotMatch"))
        c.close()

    def test_aws_chunked_unsigned_with_trailing_checksum(self):
        payload = b"trailing checksum payload " * 1000
        crc = binascii.b2a_base64(zlib.crc32(payload).to_bytes(4, "big"), newline=False).decode()

        def body(value):
            return (f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n" +
                    f"x-amz-checksum-crc32:{value}\r\n\r\n".encode())

        for value, want in ((crc, 200), ("AAAAAA==", 400)):
            b = body(value)
            extra = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload)),
                     "x-amz-trailer": "x-amz-checksum-crc32", "Content-Length": str(len(b))}
            h = sign(self.server, "PUT", "/proto/trailer", headers=extra,
                     payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            c = Raw(self.server.endpoint)
            c.send(request_bytes(self.server, "PUT", "/proto/trailer", h, b))
            status, headers, resp = c.read_response()
            self.assertEqual(status, want, resp)
            if want == 200:
                self.assertEqual(headers.get("x-amz-checksum-crc32"), crc)
            else:
                self.assertEqual(error_code(resp), "BadDigest")
            c.close()
        self.assertEqual(self.s3.get_object(Bucket="proto", Key="trailer")["Body"].read(), payload)

    def test_presigned_url_expiry(self):
        self.s3.put_object(Bucket="proto", Key="soon", Body=b"x")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": "proto", "Key": "soon"}, ExpiresIn=1)
        time.sleep(2.1)
        parts = urllib.parse.urlsplit(url)
        c = Raw(self.server.endpoint)
        c.send(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {c.host}\r\n\r\n".encode())
        status, _, body = c.read_response()
        self.assertEqual(status, 403)
        self.assertEqual(error_code(body), "AccessDenied")
        self.assertIn(b"expired", body)
        c.close()

    def test_metrics_endpoint(self):
        self.s3.list_objects_v2(Bucket="proto")
        # A replaced object's file is kept as a spare (to be overwritten in place): the gauge counts it.
        self.s3.put_object(Bucket="proto", Key="spare-metric", Body=b"a" * 5000)
        self.s3.put_object(Bucket="proto", Key="spare-metric", Body=b"b")
        c = Raw(self.server.endpoint)
        c.send(f"GET /metrics HTTP/1.1\r\nHost: {c.host}\r\n\r\n".encode())
        status, headers, body = c.read_response()
        c.close()
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertIn('faasnet_s3_requests_total{operation="ListObjectsV2",status="200"}', text)
        self.assertIn("faasnet_s3_request_duration_seconds_bucket", text)
        self.assertIn("faasnet_s3_sent_bytes_total", text)
        spares = [line for line in text.splitlines() if line.startswith("faasnet_store_spare_files ")]
        self.assertEqual(len(spares), 1, text)
        self.assertGreaterEqual(int(spares[0].split()[1]), 1)

    def test_keep_alive_serves_many_requests_on_one_connection(self):
        c = Raw(self.server.endpoint)
        for i in range(20):
            h = sign(self.server, "GET", "/proto")
            c.send(request_bytes(self.server, "GET", "/proto", h))
            status, _, _ = c.read_response()
            self.assertEqual(status, 200)
        c.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
