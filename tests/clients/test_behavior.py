"""Cloud-like behaviour from a --behavior file: first-byte latency, a
per-connection bandwidth cap, and a request-rate limit answered with 503
SlowDown; per bucket over the store default. Times are lower bounds only."""
import os
import time
import unittest

import botocore.exceptions

from storefixture import StoreServer

BEHAVIOR = """
default:
  connection_rate: 20MB/s
buckets:
  slow-first-byte:
    first_byte_latency: 150ms
  throttled:
    request_rate: 5/s
    request_burst: 5
"""


class BehaviorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = StoreServer()
        path = os.path.join(cls.server.workdir, "behavior.yaml")
        with open(path, "w") as f:
            f.write(BEHAVIOR)
        cls.server.extra_args = ["--behavior", path]
        cls.server.start()
        cls.s3 = cls.server.boto3_client()
        for b in ("plain-bucket", "slow-first-byte", "throttled"):
            cls.s3.create_bucket(Bucket=b)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_connection_rate_caps_a_download(self):
        self.s3.put_object(Bucket="plain-bucket", Key="4mb", Body=b"x" * 4_000_000)
        t0 = time.time()
        body = self.s3.get_object(Bucket="plain-bucket", Key="4mb")["Body"].read()
        elapsed = time.time() - t0
        self.assertEqual(len(body), 4_000_000)
        self.assertGreaterEqual(elapsed, 0.18)  # 4 MB at 20 MB/s = 0.2 s

    def test_first_byte_latency_per_bucket(self):
        self.s3.put_object(Bucket="slow-first-byte", Key="k", Body=b"small")
        t0 = time.time()
        self.s3.get_object(Bucket="slow-first-byte", Key="k")["Body"].read()
        self.assertGreaterEqual(time.time() - t0, 0.15)

    def test_request_rate_gives_slowdown(self):
        codes = []
        for i in range(30):  # bounded
            try:
                self.s3.head_bucket(Bucket="throttled")
                codes.append(200)
            except botocore.exceptions.ClientError as e:
                codes.append(int(e.response["ResponseMetadata"]["HTTPStatusCode"]))
        self.assertIn(503, codes)
        self.assertIn(200, codes)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            for i in range(30):
                self.s3.list_objects_v2(Bucket="throttled")
        self.assertEqual(cm.exception.response["Error"]["Code"], "SlowDown")
        # Other buckets are not limited.
        for i in range(20):
            self.s3.head_bucket(Bucket="plain-bucket")


class BadBehaviorFileTest(unittest.TestCase):
    def test_invalid_file_is_refused_with_line(self):
        import subprocess
        from storefixture import FAASNET
        server = StoreServer()
        try:
            path = os.path.join(server.workdir, "bad.yaml")
            with open(path, "w") as f:
                f.write("default:\n  connection_rate: 20MB/s\n  latency: 5ms\n")
            r = subprocess.run([FAASNET, "store", "serve", "--data", server.data_dir, "--listen", "127.0.0.1:0",
                                "--credentials", server.credentials, "--behavior", path],
                               capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 2)
            self.assertIn(b"default.latency (line 3): unknown setting", r.stderr)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
