"""The local region end to end: functions created and invoked with boto3's
lambda client and Debian's awscli, in sandboxes with the resources their
memory size buys, with a truthful record per invocation; faults (timeout,
out of memory, crash, init error) answered as Lambda does.

Runs with --isolation none everywhere, and with full isolation (network
namespaces, veth, cgroups) as root; not root: the full-isolation class skips
with a reason (under CI=true it must run)."""
import base64
import json
import os
import subprocess
import time
import unittest

from regionfixture import RegionServer, native_noop_zip, python_echo_zip

AWS = os.environ.get("FAASNET_AWS", "/usr/bin/aws")
ROOT = os.geteuid() == 0
ROLE = "arn:aws:iam::000000000000:role/faasnet-test"


class RegionTestBase:
    isolation = "none"

    @classmethod
    def setUpClass(cls):
        cls.region = RegionServer(cls.isolation).start()
        cls.client = cls.region.lambda_client()
        cls.client.create_function(FunctionName="py", Runtime="python3.11", Role=ROLE,
                                   Handler="app.handler", Code={"ZipFile": python_echo_zip()}, MemorySize=256,
                                   Timeout=3)
        cls.client.create_function(FunctionName="native", Runtime="provided.al2023",
                                   Role=ROLE, Handler="unused",
                                   Code={"ZipFile": native_noop_zip()}, MemorySize=128, Timeout=2)

    @classmethod
    def tearDownClass(cls):
        cls.region.cleanup()

    def invoke(self, name, event, tail=False):
        kw = {"LogType": "Tail"} if tail else {}
        r = self.client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
        return r, json.loads(r["Payload"].read() or b"null")

    def test_python_and_native_echo_cold_then_warm(self):
        for name in ("py", "native"):
            r, body = self.invoke(name, {"echo": "hi"}, tail=True)
            self.assertEqual(r["StatusCode"], 200)
            self.assertNotIn("FunctionError", r)
            self.assertEqual(body["echo"], "hi")
            log = base64.b64decode(r["LogResult"]).decode()
            self.assertIn("REPORT RequestId:", log)
            r2, body2 = self.invoke(name, {"echo": 2})
            self.assertEqual(body2["echo"], 2)
        recs = [x for x in self.region.records_list() if x["function"] in ("py", "native") and not x["error_type"]]
        by_fn = {}
        for x in recs:
            by_fn.setdefault(x["function"], []).append(x)
        for name, rs in by_fn.items():
            self.assertTrue(rs[0]["cold"], name)
            self.assertGreater(rs[0]["init_duration_ms"], 0)
            self.assertTrue(any(not x["cold"] for x in rs), f"{name}: no warm invocation")
            for x in rs:
                self.assertEqual(x["isolation"], self.isolation)
                self.assertGreaterEqual(x["billed_duration_ms_100ms"], 100)
                self.assertGreaterEqual(x["billed_duration_ms_1ms"], x["duration_ms"])
                self.assertGreater(x["max_memory_used_bytes"], 0)

    def test_environment_and_host_info(self):
        _, body = self.invoke("py", {"hostinfo": True})
        env = body["env"] if "env" in body else body
        text = json.dumps(body)
        self.assertIn("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", text)
        self.assertIn("256", text)

    def test_handled_error_keeps_the_sandbox(self):
        r, body = self.invoke("py", {"error": "boom"})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(body["errorType"], "FunctionError")
        self.assertEqual(body["errorMessage"], "boom")

    def test_timeout_kills_at_the_deadline(self):
        t0 = time.time()
        r, body = self.invoke("native", {"sleep_ms": 10000})
        elapsed = time.time() - t0
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertIn("Task timed out after 2.00 seconds", body["errorMessage"])
        self.assertLess(elapsed, 5)
        rec = [x for x in self.region.records_list() if x["error_type"] == "Sandbox.Timedout"]
        self.assertTrue(rec)
        self.assertLess(abs(rec[-1]["duration_ms"] - 2000), 150)
        r, body = self.invoke("native", {"echo": "after"})  # a new sandbox serves the next one
        self.assertEqual(body["echo"], "after")

    def test_crash_is_exit_error(self):
        r, body = self.invoke("native", {"exit": 3})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(body["errorType"], "Runtime.ExitError")
        self.assertIn("exit", body["errorMessage"])
        _, body = self.invoke("native", {"echo": 1})
        self.assertEqual(body["echo"], 1)

    def test_init_error_for_a_missing_handler(self):
        self.client.create_function(FunctionName="badhandler", Runtime="python3.11", Role=ROLE,
                                    Handler="nope.handler", Code={"ZipFile": python_echo_zip()})
        r, body = self.invoke("badhandler", {})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(body["errorType"], "Runtime.ImportModuleError")

    def test_update_memory_starts_new_sandboxes(self):
        self.client.create_function(FunctionName="resize", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                    Code={"ZipFile": python_echo_zip()}, MemorySize=128)
        self.invoke("resize", {})
        self.client.update_function_configuration(FunctionName="resize", MemorySize=512)
        self.assertEqual(self.client.get_function_configuration(FunctionName="resize")["MemorySize"], 512)
        self.invoke("resize", {})
        recs = [x for x in self.region.records_list() if x["function"] == "resize"]
        self.assertEqual([x["memory_mb"] for x in recs], [128, 512])
        self.assertTrue(recs[1]["cold"])

    def test_missing_function_and_awscli(self):
        import botocore.exceptions
        with self.assertRaises(self.client.exceptions.ResourceNotFoundException):
            self.client.invoke(FunctionName="nope", Payload=b"{}")
        out = os.path.join(self.region.workdir, "out.json")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.region.key, AWS_SECRET_ACCESS_KEY=self.region.secret,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_PAGER="")
        r = subprocess.run([AWS, "--endpoint-url", self.region.lambda_endpoint, "lambda", "invoke",
                            "--function-name", "native", "--cli-binary-format", "raw-in-base64-out", "--payload",
                            '{"echo": "cli"}', out], env=env, capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertEqual(json.load(f)["echo"], "cli")


    def test_event_invocation_returns_202_and_runs(self):
        n = len(self.region.records_list())
        r = self.client.invoke(FunctionName="native", InvocationType="Event", Payload=b'{"echo": "event"}')
        self.assertEqual(r["StatusCode"], 202)
        for _ in range(100):  # bounded wait for the background run
            if len(self.region.records_list()) > n:
                break
            time.sleep(0.05)
        self.assertGreater(len(self.region.records_list()), n)
        r = self.client.invoke(FunctionName="native", InvocationType="DryRun", Payload=b"{}")
        self.assertEqual(r["StatusCode"], 204)

    def test_concurrent_invocations_get_their_own_sandboxes(self):
        import concurrent.futures
        def call(i):
            _, body = self.invoke("native", {"sleep_ms": 300, "hostinfo": True, "echo": i})
            return body
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            bodies = list(pool.map(call, range(4)))
        self.assertEqual(sorted(b["echo"] for b in bodies), [0, 1, 2, 3])
        pids = {b["hostinfo"]["pid"] for b in bodies}
        self.assertEqual(len(pids), 4, "four concurrent invocations shared a runtime process")

    def test_awscli_create_update_invoke_delete(self):
        zip_path = os.path.join(self.region.workdir, "fn.zip")
        with open(zip_path, "wb") as f:
            f.write(python_echo_zip())
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.region.key, AWS_SECRET_ACCESS_KEY=self.region.secret,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_PAGER="")
        def aws(*args):
            r = subprocess.run([AWS, "--endpoint-url", self.region.lambda_endpoint, "lambda", *args], env=env,
                               capture_output=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout
        created = json.loads(aws("create-function", "--function-name", "clifn", "--runtime", "python3.11",
                                 "--role", ROLE, "--handler", "app.handler", "--memory-size", "192",
                                 "--zip-file", "fileb://" + zip_path))
        self.assertEqual(created["MemorySize"], 192)
        updated = json.loads(aws("update-function-configuration", "--function-name", "clifn", "--memory-size",
                                 "320", "--timeout", "5"))
        self.assertEqual((updated["MemorySize"], updated["Timeout"]), (320, 5))
        out = os.path.join(self.region.workdir, "cli-out.json")
        aws("invoke", "--function-name", "clifn", "--cli-binary-format", "raw-in-base64-out", "--payload",
            '{"echo": 7}', out)
        with open(out) as f:
            self.assertEqual(json.load(f)["echo"], 7)
        self.assertEqual([x["memory_mb"] for x in self.region.records_list() if x["function"] == "clifn"], [320])
        names = [f["FunctionName"] for f in json.loads(aws("list-functions"))["Functions"]]
        self.assertIn("clifn", names)
        aws("delete-function", "--function-name", "clifn")
        names = [f["FunctionName"] for f in json.loads(aws("list-functions"))["Functions"]]
        self.assertNotIn("clifn", names)

    def test_faasnet_invoke_cli(self):
        from regionfixture import FAASNET
        r = subprocess.run([FAASNET, "invoke", "native", "--payload", '{"echo": "cli"}', "--endpoint",
                            self.region.lambda_endpoint, "--credentials", self.region.credentials, "--log-tail"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["echo"], "cli")
        self.assertIn(b"REPORT RequestId:", r.stderr)
        r = subprocess.run([FAASNET, "invoke", "native", "--payload", '{"error": "x"}', "--endpoint",
                            self.region.lambda_endpoint, "--credentials", self.region.credentials],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        r = subprocess.run([FAASNET, "invoke", "missing", "--endpoint", self.region.lambda_endpoint,
                            "--credentials", self.region.credentials], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"ResourceNotFoundException", r.stderr)


class RegionNoIsolationTest(RegionTestBase, unittest.TestCase):
    isolation = "none"


@unittest.skipUnless(ROOT and os.path.exists("/usr/bin/setpriv"), "drops privileges from root with setpriv")
class MissingPrivilegesTest(unittest.TestCase):
    def test_full_isolation_without_root_says_what_is_missing(self):
        import tempfile
        from regionfixture import FAASNET
        work = tempfile.mkdtemp(prefix="faasnet-nopriv-", dir="/var/tmp")
        os.chmod(work, 0o777)
        try:
            r = subprocess.run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", FAASNET,
                                "region", "up", "--isolation", "full", "--workdir", work + "/r", "--s3-listen",
                                "127.0.0.1:0", "--lambda-listen", "127.0.0.1:0"], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn(b"CAP_SYS_ADMIN is missing", r.stderr)
            self.assertIn(b"--isolation none", r.stderr)
        finally:
            import shutil
            shutil.rmtree(work, ignore_errors=True)


class RegionLimitsTest(unittest.TestCase):
    """Concurrency limits, host capacity and pinning, on two small hosts."""

    @classmethod
    def setUpClass(cls):
        cls.region = RegionServer("none", "hosts: [{id: a, vcpus: 1, memory: 256}, {id: b, vcpus: 1, memory: 256}]\n"
                                          "function_concurrency: 3\n").start()
        cls.client = cls.region.lambda_client()
        for name, env in (("free", {}), ("pinned", {"FAASNET_PIN_HOST": "b"})):
            cls.client.create_function(FunctionName=name, Runtime="provided.al2", Role=ROLE, MemorySize=128,
                                       Code={"ZipFile": native_noop_zip()}, Environment={"Variables": env})

    @classmethod
    def tearDownClass(cls):
        cls.region.cleanup()

    def test_pinned_function_stays_on_its_host(self):
        for _ in range(2):
            self.client.invoke(FunctionName="pinned", Payload=b"{}")
        hosts = {x["host_id"] for x in self.region.records_list() if x["function"] == "pinned"}
        self.assertEqual(hosts, {"b"})

    def test_limits_answer_too_many_requests(self):
        import concurrent.futures
        def call(i):
            try:
                r = self.client.invoke(FunctionName="free", Payload=json.dumps({"sleep_ms": 400}).encode())
                return "ok" if "FunctionError" not in r else "error"
            except self.client.exceptions.TooManyRequestsException:
                return "throttled"
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            outcomes = list(pool.map(call, range(5)))
        self.assertIn("throttled", outcomes)   # 5 > function_concurrency 3, and 4 x 128 MB fill both hosts
        self.assertIn("ok", outcomes)
        self.assertLessEqual(outcomes.count("ok"), 3)


class RegionEvictionTest(unittest.TestCase):
    """A host without room for a new sandbox takes memory back from idle ones, least recently used
    first and only as much as it needs, as a platform does under memory pressure."""

    @classmethod
    def setUpClass(cls):
        cls.region = RegionServer("none", "hosts: [{id: a, vcpus: 1, memory: 384}]\nidle_timeout: 10m\n").start()
        cls.client = cls.region.lambda_client()
        for name, mb in (("old", 128), ("recent", 128), ("mid", 256), ("huge", 512)):
            cls.client.create_function(FunctionName=name, Runtime="provided.al2", Role=ROLE, MemorySize=mb,
                                       Code={"ZipFile": native_noop_zip()})

    @classmethod
    def tearDownClass(cls):
        cls.region.cleanup()

    def record(self, request_id):
        for x in self.region.records_list():
            if x["request_id"] == request_id:
                return x
        self.fail(f"no record for {request_id}")

    def call(self, name):
        r = self.client.invoke(FunctionName=name, Payload=b"{}")
        self.assertNotIn("FunctionError", r)
        return self.record(r["ResponseMetadata"]["RequestId"])

    def test_idle_sandboxes_make_room_least_recently_used_first(self):
        old = self.call("old")
        time.sleep(0.05)
        recent = self.call("recent")
        self.assertTrue(old["cold"] and recent["cold"])
        # 256 MB free would need 128 more: only the least recently used sandbox goes.
        mid = self.call("mid")
        self.assertTrue(mid["cold"])
        again = self.call("recent")
        self.assertFalse(again["cold"], "the more recently used sandbox must have stayed warm")
        self.assertEqual(again["sandbox_id"], recent["sandbox_id"])
        back = self.call("old")
        self.assertTrue(back["cold"], "the least recently used sandbox must have been evicted")
        self.assertNotEqual(back["sandbox_id"], old["sandbox_id"])
        # More than the host has: evicting would not help, so nothing is evicted and the answer is 429.
        with self.assertRaises(self.client.exceptions.TooManyRequestsException):
            self.client.invoke(FunctionName="huge", Payload=b"{}")
        self.assertFalse(self.call("recent")["cold"])


@unittest.skipUnless(ROOT or os.environ.get("CI") == "true", "full isolation needs root (netns, veth, cgroups)")
class RegionFullIsolationTest(RegionTestBase, unittest.TestCase):
    isolation = "full"

    def test_sandbox_sees_its_host_and_sandbox_in_its_cgroup(self):
        _, body = self.invoke("native", {"hostinfo": True})
        text = json.dumps(body)
        self.assertIn(f"faasnet/{self.region.name}/h0/s", text)

    def test_out_of_memory(self):
        r, body = self.invoke("py", {"alloc_mb": 600})  # the function has 256 MB
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(body["errorType"], "Runtime.OutOfMemory")
        rec = [x for x in self.region.records_list() if x["error_type"] == "Runtime.OutOfMemory"]
        self.assertTrue(rec)
        self.assertGreater(rec[-1]["max_memory_used_bytes"], 200 * 2**20)
        self.assertLessEqual(rec[-1]["max_memory_used_bytes"], 256 * 2**20)

    def test_colocation_detected_from_proc_self_cgroup_matches_records(self):
        import concurrent.futures
        def call(i):
            r, body = self.invoke("native", {"sleep_ms": 200, "hostinfo": True})
            return body
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            bodies = list(pool.map(call, range(3)))
        # The paper's method: the host id and the sandbox id in /proc/self/cgroup.
        seen = set()
        for b in bodies:
            text = json.dumps(b)
            import re
            m = re.search(r"faasnet/" + self.region.name + r"/(h\d+)/(s\d+)", text)
            self.assertTrue(m, text)
            seen.add((m.group(1), m.group(2)))
        truth = {(x["host_id"], x["sandbox_id"]) for x in self.region.records_list()}
        self.assertTrue(seen <= truth, f"{seen} not in {truth}")
        self.assertEqual(len(seen), 3)

    def test_cpu_quota_follows_memory(self):
        # 128 MB on a 2-vCPU host under paper-2019: 0.085 CPU. 100 ms of CPU takes >= ~1 s of wall time.
        t0 = time.time()
        r, body = self.invoke("native", {"cpu_ms": 100})
        self.assertNotIn("FunctionError", r)
        self.assertGreater(time.time() - t0, 0.6)
        rec = self.region.records_list()[-1]
        self.assertGreater(rec["cpu_throttled_ms"], 100)
        self.assertAlmostEqual(rec["cpus"], 2 * 128 / 3008, places=3)


def leftovers(name):
    ns = [n for n in os.listdir("/run/netns")] if os.path.isdir("/run/netns") else []
    ns = [n for n in ns if n.startswith(f"faasnet-{name}-")]
    cg = [p for p in ("/sys/fs/cgroup/cpu/faasnet/" + name, "/sys/fs/cgroup/memory/faasnet/" + name)
          if os.path.exists(p)]
    return ns, cg


_orig = RegionFullIsolationTest.tearDownClass.__func__


@classmethod
def _teardown_and_check(cls):
    name = cls.region.name
    _orig(cls)
    ns, cg = leftovers(name)
    if ns or cg:
        raise AssertionError(f"left behind: namespaces {ns}, cgroups {cg}")


RegionFullIsolationTest.tearDownClass = _teardown_and_check

if __name__ == "__main__":
    unittest.main(verbosity=2)
