"""The benchmark workloads in a real region: the native probe (build/functions/probe/bootstrap)
and the boto3 workload (runtime/functions/boto3/app.py) against the region's own S3 store,
checked against the objects and the region's records; the probe's iperf action against an
iperf3 server this test starts on 127.0.0.1. With --isolation none always; with full isolation
(network namespace, veth, cgroups) as root, where /proc/net/dev and the cgroup path are the
sandbox's own (not root: that class skips with a reason; under CI=true it must run).

Both workloads answer one response shape (docs/formats/results.md, "Workload responses"):
COMMON lists its fields, and every response here is checked against it."""
import base64
import json
import os
import socket
import subprocess
import time
import unittest

from regionfixture import PROBE, RegionServer, native_zip, python_zip

ROLE = "arn:aws:iam::000000000000:role/faasnet-test"
BUCKET = "data"
BIG = ("big.bin", 10_000_000)     # 10 MB, the paper's chunk
SMALL = ("small.bin", 123_457)
COMMON = {"action", "ok", "error", "bytes", "elapsed_ms", "mb_per_s", "netdev", "cpu", "ids"}
WORKLOADS = ("probe", "boto3")
IPERF3 = "/usr/bin/iperf3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorkloadsBase:
    isolation = "none"

    @classmethod
    def setUpClass(cls):
        cls.region = RegionServer(cls.isolation, "hosts: {count: 2, vcpus: 2, memory: 3840}\nidle_timeout: 5m\n")
        cls.region.start()
        cls.s3 = cls.region.s3_client()
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.data = {}
        for key, size in (BIG, SMALL):
            cls.data[key] = os.urandom(size)
            cls.s3.put_object(Bucket=BUCKET, Key=key, Body=cls.data[key])
        cls.lam = cls.region.lambda_client()
        cls.lam.create_function(FunctionName="probe", Runtime="provided.al2023", Role=ROLE, Handler="unused",
                                Code={"ZipFile": native_zip(PROBE)}, MemorySize=1024, Timeout=60)
        cls.lam.create_function(FunctionName="boto3", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": python_zip("runtime/functions/boto3/app.py")}, MemorySize=1024,
                                Timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.region.cleanup()

    def invoke(self, name, event, **kw):
        r = self.lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
        body = json.loads(r["Payload"].read() or b"null")
        return r, body

    def run_ok(self, name, event, **kw):
        r, body = self.invoke(name, event, **kw)
        self.assertNotIn("FunctionError", r, body)
        self.assertTrue(COMMON <= set(body), f"{name}: missing {COMMON - set(body)}")
        self.assertEqual(body["action"], event["action"])
        self.assertGreaterEqual(body["cpu"]["user_ms"], 0)
        self.assertGreaterEqual(body["cpu"]["system_ms"], 0)
        return r, body

    def check_ordered(self, objects):
        prev_end = 0
        for o in objects:
            self.assertLessEqual(prev_end, o["t_start_ms"], o)
            self.assertLessEqual(o["t_start_ms"], o["t_first_byte_ms"], o)
            self.assertLessEqual(o["t_first_byte_ms"], o["t_last_byte_ms"], o)
            prev_end = o["t_last_byte_ms"]

    def test_s3_get_bytes_and_timings(self):
        for name in WORKLOADS:
            with self.subTest(workload=name):
                _, body = self.run_ok(name, {"action": "s3-get", "bucket": BUCKET, "keys": [BIG[0], SMALL[0]]})
                self.assertTrue(body["ok"], body["error"])
                self.assertEqual([o["key"] for o in body["objects"]], [BIG[0], SMALL[0]])
                self.assertEqual([o["bytes"] for o in body["objects"]], [BIG[1], SMALL[1]])
                self.assertEqual(body["bytes"], BIG[1] + SMALL[1])
                self.check_ordered(body["objects"])
                span = body["objects"][-1]["t_last_byte_ms"] - body["objects"][0]["t_start_ms"]
                self.assertAlmostEqual(body["elapsed_ms"], span, places=6)
                self.assertGreater(body["elapsed_ms"], 0)
                self.assertAlmostEqual(body["mb_per_s"], body["bytes"] / body["elapsed_ms"] / 1000, places=6)

    def test_s3_get_missing_key_is_a_failed_row_not_a_function_error(self):
        for name in WORKLOADS:
            with self.subTest(workload=name):
                _, body = self.run_ok(name, {"action": "s3-get", "bucket": BUCKET, "keys": [SMALL[0], "nope"]})
                self.assertFalse(body["ok"])
                self.assertEqual(body["error_class"], "not_found")
                self.assertIn("nope", body["error"])
                self.assertEqual(body["objects"][0]["bytes"], SMALL[1])
                self.assertEqual([o["key"] for o in body["objects"]], [SMALL[0], "nope"])
                self.assertEqual(body["objects"][1]["bytes"], 0)
                self.check_ordered(body["objects"])

    def test_s3_put_generated_and_fetched(self):
        for name in WORKLOADS:
            with self.subTest(workload=name):
                key = f"out/{name}-gen"
                _, body = self.run_ok(name, {"action": "s3-put", "bucket": BUCKET, "key": key, "bytes": 3_000_000})
                self.assertTrue(body["ok"], body["error"])
                self.assertEqual(body["bytes"], 3_000_000)
                self.assertEqual(body["objects"][0]["bytes"], 3_000_000)
                self.check_ordered(body["objects"])
                self.assertGreater(body["elapsed_ms"], 0)
                self.assertEqual(self.s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"], 3_000_000)
                if name == "probe":  # the data set's chunk: CSV with its header
                    head = self.s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=0-12")["Body"].read()
                    self.assertEqual(head, b"Id,ProductId,")

                key = f"out/{name}-copy"
                # The suite sends the chunk size along with fetch: accepted, the source's size wins.
                _, body = self.run_ok(name, {"action": "s3-put", "bucket": BUCKET, "key": key, "fetch": True,
                                             "source_key": BIG[0], "bytes": 5})
                self.assertTrue(body["ok"], body["error"])
                self.assertEqual(body["fetched"]["bytes"], BIG[1])
                self.assertEqual(body["bytes"], BIG[1])
                # Only the upload is timed: it starts after the fetch ended.
                self.assertGreaterEqual(body["objects"][0]["t_start_ms"], body["fetched"]["t_last_byte_ms"])
                got = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                self.assertEqual(got, self.data[BIG[0]])

    def test_host_id_matches_the_region_record(self):
        with open("/proc/self/cgroup") as f:
            ours = [l for l in f.read().splitlines() if l.strip()]
        keys = {}
        for name in WORKLOADS:
            with self.subTest(workload=name):
                r, body = self.run_ok(name, {"action": "host-id"})
                rec = self.region.record_of(r["ResponseMetadata"]["RequestId"])
                self.assertEqual(body["ids"]["host_id"], rec["host_id"])
                self.assertEqual(body["ids"]["sandbox_id"], rec["sandbox_id"])
                self.assertTrue(body["cgroup_lines"])
                self.assertEqual(body["ids"]["cgroup"], body["cgroup_lines"][0])
                if self.isolation == "none":
                    # Unisolated, a function's process shares the region's (and so this test's) cgroups.
                    self.assertEqual(body["cgroup_lines"], ours)
                else:
                    # The paper's method finds the host the region placed the sandbox on.
                    self.assertEqual(body["paper_host_key"], f"/faasnet/{self.region.name}/{rec['host_id']}")
                keys[name] = body["paper_host_key"]
        self.assertEqual(keys["probe"], keys["boto3"])  # one method, two implementations

    def test_size_strings_and_an_endpoint_in_the_event(self):
        for name in WORKLOADS:
            with self.subTest(workload=name):
                key = f"out/{name}-sized"
                _, body = self.run_ok(name, {"action": "s3-put", "bucket": BUCKET, "key": key, "bytes": "2MiB"})
                self.assertTrue(body["ok"], body["error"])
                self.assertEqual(body["bytes"], 2 * 2**20)
                endpoint = body["endpoint"]
                _, body = self.run_ok(name, {"action": "s3-get", "bucket": BUCKET, "keys": [key], "endpoint": endpoint})
                self.assertTrue(body["ok"], body["error"])
                self.assertEqual(body["endpoint"], endpoint)
                self.assertEqual(body["bytes"], 2 * 2**20)
                # An endpoint nobody listens on: the event's endpoint is the one used.
                dead = f"http://127.0.0.1:{free_port()}"
                _, body = self.run_ok(name, {"action": "s3-get", "bucket": BUCKET, "keys": [key], "endpoint": dead})
                self.assertFalse(body["ok"])
                self.assertEqual(body["error_class"], "connection")
                self.assertEqual(body["endpoint"], dead)

    def test_noop(self):
        for name in WORKLOADS:
            with self.subTest(workload=name):
                _, body = self.run_ok(name, {"action": "noop"})
                self.assertTrue(body["ok"])
                self.assertEqual(body["bytes"], 0)
                self.assertNotIn("objects", body)
                r, body = self.run_ok(name, {"action": "noop", "sleep_ms": 300})  # the suite's warm-up
                self.assertGreaterEqual(self.region.record_of(r["ResponseMetadata"]["RequestId"])["duration_ms"], 300)

    def test_boto3_endpoint_falls_back_to_aws(self):
        # No endpoint anywhere (a real Lambda function): boto3's own AWS endpoint, no request made here.
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            "boto3_app", os.path.join(os.path.dirname(__file__), "../../runtime/functions/boto3/app.py"))
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)
        saved = {k: os.environ.pop(k) for k in ("AWS_ENDPOINT_URL_S3", "FAASNET_S3_ENDPOINT") if k in os.environ}
        try:
            endpoint, _ = app._s3("")
            self.assertTrue(endpoint.startswith("https://s3.") and endpoint.endswith("amazonaws.com"), endpoint)
            self.assertEqual(app._s3("http://127.0.0.1:1")[0], "http://127.0.0.1:1")
        finally:
            os.environ.update(saved)

    def test_bad_events_are_function_errors(self):
        for name in WORKLOADS:
            for event in ({"action": "s3-get", "bucket": BUCKET}, {"action": "fly"}, {"action": "noop", "x": 1},
                          {"action": "s3-put", "bucket": BUCKET, "key": "k", "bytes": -1}):
                with self.subTest(workload=name, event=event):
                    r, body = self.invoke(name, event)
                    self.assertEqual(r.get("FunctionError"), "Unhandled", body)
                    self.assertEqual(body["errorType"], "InvalidEvent")
                    self.assertIn("event:", body["errorMessage"])
            # The function is still there for the next event.
            self.run_ok(name, {"action": "noop"})


class WorkloadsTest(WorkloadsBase, unittest.TestCase):
    """--isolation none: the functions share the machine's network, so they reach 127.0.0.1."""

    def test_iperf_up_and_down_against_iperf3(self):
        if not os.path.exists(IPERF3):
            self.fail(f"{IPERF3} is missing: scripts/setup installs iperf3")
        for direction in ("up", "down"):
            with self.subTest(direction=direction):
                port = free_port()
                event = {"action": "iperf", "direction": direction, "duration_s": 2, "interval_s": 0.5}
                fn = "probe"
                if direction == "up":
                    event.update(host="127.0.0.1", port=port)
                else:  # the server from the environment, as the region will set it: the first port is used
                    fn = "probe-iperf-env"
                    env = {"FAASNET_IPERF_HOST": "127.0.0.1", "FAASNET_IPERF_PORTS": f"{port},{free_port()}"}
                    self.lam.create_function(FunctionName=fn, Runtime="provided.al2023", Role=ROLE,
                                             Handler="unused", Code={"ZipFile": native_zip(PROBE)}, MemorySize=256,
                                             Timeout=30, Environment={"Variables": env})
                server = subprocess.Popen([IPERF3, "-s", "-1", "-p", str(port), "-B", "127.0.0.1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    time.sleep(0.3)  # let it listen
                    r, body = self.run_ok(fn, event, LogType="Tail")
                finally:
                    if server.poll() is None:
                        server.kill()
                    server.wait(timeout=10)
                self.assertTrue(body["ok"], body["error"])
                self.assertEqual(body["direction"], direction)
                self.assertEqual(body["duration_s"], 2)
                self.assertEqual(body["interval_s"], 0.5)
                self.assertEqual((body["host"], body["port"]), ("127.0.0.1", port))
                self.assertGreaterEqual(len(body["intervals"]), 4)  # 2 s in 0.5 s samples
                for i in body["intervals"]:
                    self.assertAlmostEqual(i["seconds"], 0.5, delta=0.1)
                # libiperf's own copy of the report goes to /dev/null, not to the function's log.
                self.assertNotIn("sum_received", base64.b64decode(r["LogResult"]).decode())
                for i in body["intervals"]:
                    self.assertGreater(i["bytes"], 0, i)
                    self.assertGreater(i["mb_per_s"], 0, i)
                self.assertGreater(body["bytes"], 0)
                self.assertGreater(body["elapsed_ms"], 1500)
                self.assertGreater(body["mb_per_s"], 0)
                self.assertIn("retransmits", body)

    def test_iperf_server_missing_is_a_failed_row(self):
        port = free_port()  # nothing listens there
        _, body = self.run_ok("probe", {"action": "iperf", "duration_s": 1, "host": "127.0.0.1", "port": port})
        self.assertFalse(body["ok"])
        self.assertEqual(body["error_class"], "iperf")
        self.assertIn(f"127.0.0.1:{port}", body["error"])


@unittest.skipUnless(os.geteuid() == 0 or os.environ.get("CI") == "true",
                     "full isolation needs root (netns, veth, cgroups)")
class WorkloadsFullIsolationTest(WorkloadsBase, unittest.TestCase):
    """Full isolation: each sandbox has its own network namespace, so /proc/net/dev counts its veth."""
    isolation = "full"

    def test_paper_host_key_tells_the_hosts_apart(self):
        # Three functions pinned to two hosts: the paper's key groups them as the region placed them.
        keys = {}
        for fn, host in (("pin-a", "h0"), ("pin-b", "h1"), ("pin-c", "h0")):
            self.lam.create_function(FunctionName=fn, Runtime="provided.al2023", Role=ROLE, Handler="unused",
                                     Code={"ZipFile": native_zip(PROBE)}, MemorySize=128, Timeout=10,
                                     Environment={"Variables": {"FAASNET_PIN_HOST": host}})
            r, body = self.run_ok(fn, {"action": "host-id"})
            rec = self.region.record_of(r["ResponseMetadata"]["RequestId"])
            self.assertEqual(rec["host_id"], host)
            self.assertEqual(body["ids"]["host_id"], host)
            keys[fn] = body["paper_host_key"]
        self.assertEqual(keys["pin-a"], keys["pin-c"])
        self.assertNotEqual(keys["pin-a"], keys["pin-b"])

    def test_netdev_counts_the_sandbox_interface(self):
        for name in WORKLOADS:
            with self.subTest(workload=name):
                r, body = self.run_ok(name, {"action": "s3-get", "bucket": BUCKET, "keys": [BIG[0]]})
                self.assertTrue(body["ok"], body["error"])
                self.assertGreaterEqual(body["netdev"]["rx_bytes"], BIG[1])  # the body and the headers
                self.assertLess(body["netdev"]["rx_bytes"], BIG[1] * 1.1)
                self.assertGreater(body["netdev"]["tx_bytes"], 0)
                if name == "probe":  # the body streams through: the sandbox never holds the object
                    rec = self.region.record_of(r["ResponseMetadata"]["RequestId"])
                    self.assertLess(rec["max_memory_used_bytes"], BIG[1] // 2)
                _, body = self.run_ok(name, {"action": "s3-put", "bucket": BUCKET, "key": f"out/{name}-net",
                                             "fetch": True, "source_key": SMALL[0]})
                self.assertTrue(body["ok"], body["error"])
                # The upload only: the fetch before it is not counted.
                self.assertGreaterEqual(body["netdev"]["tx_bytes"], SMALL[1])
                self.assertLess(body["netdev"]["rx_bytes"], SMALL[1] // 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
