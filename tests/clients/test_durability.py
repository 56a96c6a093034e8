"""Durability: kill -9 the store during concurrent PUTs, restart it on the same
data directory, and check that every acknowledged PUT survived intact, that no
partial object is visible, and that start-up swept the unfinished writes."""
import hashlib
import os
import random
import signal
import threading
import time
import unittest

from storefixture import StoreServer

THREADS = 8
KEYS_PER_THREAD = 12
RUN_SECONDS = 2.0


class DurabilityTest(unittest.TestCase):
    def test_kill_9_during_concurrent_puts(self):
        server = StoreServer().start()
        try:
            server.boto3_client().create_bucket(Bucket="durable")
            attempted = {}  # key -> md5s of the bodies sent for it, in order (one writer per key)
            acked = {}      # key -> index in attempted[key] of the last acknowledged PUT
            lock = threading.Lock()
            stop = time.time() + RUN_SECONDS

            def writer(t):
                s3 = server.boto3_client()
                rng = random.Random(t)
                i = 0
                while time.time() < stop and i < 10_000:  # bounded in time and count
                    key = f"t{t}/k{i % KEYS_PER_THREAD}"
                    body = rng.randbytes(rng.choice([1_000, 50_000, 400_000, 1_500_000]))
                    digest = hashlib.md5(body).hexdigest()
                    with lock:
                        attempted.setdefault(key, []).append(digest)
                        index = len(attempted[key]) - 1
                    try:
                        s3.put_object(Bucket="durable", Key=key, Body=body)
                    except Exception:
                        return  # the server is gone
                    with lock:
                        acked[key] = index
                    i += 1

            threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
            for th in threads:
                th.start()
            time.sleep(RUN_SECONDS * 0.75)
            server.proc.send_signal(signal.SIGKILL)  # mid-flight, no clean stop
            server.proc.wait()
            for th in threads:
                th.join(timeout=60)
            self.assertGreater(len(acked), 0, "no PUT was acknowledged before the kill")

            restarted = StoreServer(data_dir=server.data_dir, workdir=server.workdir)
            restarted.start()
            try:
                s3 = restarted.boto3_client()
                listed = {}
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket="durable"):
                    for o in page.get("Contents", []):
                        listed[o["Key"]] = o["Size"]
                # Every acknowledged key is there, with its last acknowledged body or a
                # later one that was committed but not yet acknowledged at the kill.
                for key in acked:
                    self.assertIn(key, listed)
                for key, size in listed.items():
                    body = s3.get_object(Bucket="durable", Key=key)["Body"].read()
                    self.assertEqual(len(body), size)
                    got = hashlib.md5(body).hexdigest()
                    self.assertIn(got, attempted[key], f"{key}: content is no body that was ever sent")
                    if key in acked:  # never older than what was acknowledged
                        later = attempted[key][acked[key]:]
                        self.assertIn(got, later, f"{key}: an acknowledged PUT was lost")
                # No leftovers of the interrupted writes.
                self.assertEqual(os.listdir(os.path.join(server.data_dir, "tmp")), [])
                print(f"acknowledged keys: {len(acked)}, listed after restart: {len(listed)}")
            finally:
                restarted.stop()
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
