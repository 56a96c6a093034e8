"""The `aws` and `http` platform adapters, tested without the internet: the
local region speaks the same Lambda and S3 APIs, so `faasnet run --platform
aws` with endpoint overrides walks the adapter's whole path (SigV4, bucket
and data set, deploy as a zip, memory updates, invoke with the log tail,
REPORT parsing, removal), over plain HTTP and over HTTPS through a TLS proxy
with a test CA (curl's CA option). `faasnet cloud cleanup` finds what a
--keep run left by tag. The `http` adapter posts events to a URL."""
import http.server
import json
import os
import socket
import subprocess
import tempfile
import threading
import unittest

from regionfixture import FAASNET, RegionServer
from tlsfixture import TlsProxy, make_ca

PROBE_DIR = os.environ.get("FAASNET_PROBE_DIR", os.path.join(os.path.dirname(FAASNET), "functions/probe-bundle"))
ROLE = "arn:aws:iam::000000000000:role/faasnet-test"

SCENARIO = """
name: cloudtest
experiments:
  - name: get
    action: s3-get
    chunk_mb: 1
    memory_mb: [128, 256]
    concurrency: 2
    chunks: 4
  - name: cold
    action: host-id
    start: cold
    repetitions: 2
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rows(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


class AwsAdapterAgainstTheLocalRegion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.region = RegionServer("none").start()
        cls.tmp = tempfile.mkdtemp(prefix="faasnet-cloud-test-", dir="/var/tmp")
        cls.scenario = os.path.join(cls.tmp, "cloudtest.yaml")
        with open(cls.scenario, "w") as f:
            f.write(SCENARIO)
        cls.env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=cls.region.credentials, AWS_REGION="us-east-1",
                       FAASNET_PROBE_DIR=PROBE_DIR)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
            cls.env.pop(k, None)

    @classmethod
    def tearDownClass(cls):
        cls.region.cleanup()
        subprocess.run(["rm", "-rf", cls.tmp])

    def faasnet(self, *args, lambda_url=None, s3_url=None, extra=()):
        cmd = [FAASNET, *args, "--endpoint-url", lambda_url or self.region.lambda_endpoint,
               "--s3-endpoint-url", s3_url or self.region.s3_endpoint, *extra]
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=600)

    def run_scenario(self, run_id, **kw):
        out = os.path.join(self.tmp, run_id)
        p = self.faasnet("run", self.scenario, "--platform", "aws", "--role", ROLE, "--run-id", run_id, "--out", out,
                         **kw)
        return p, out

    def leftovers(self):
        names = [f["FunctionName"] for f in self.region.lambda_client().list_functions()["Functions"]]
        return [n for n in names if n.startswith("faasnet-")]

    def check_results(self, out, run_id):
        run = json.load(open(os.path.join(out, "run.json")))
        self.assertEqual(run["status"], "complete")
        self.assertEqual(run["platform"]["kind"], "aws")
        inv = rows(os.path.join(out, "invocations.jsonl"))
        self.assertEqual(len(inv), 2 * 4 + 2)
        for r in inv:
            self.assertEqual(r["error_type"], "", r)
            self.assertTrue(r["function"].startswith("faasnet-" + run_id + "-probe-"))
            # From the REPORT line, as on AWS: durations yes, host ids and CPU time unknown (null).
            self.assertIsInstance(r["duration_ms"], float)
            self.assertGreaterEqual(r["billed_duration_ms_100ms"], 100)
            self.assertIsNone(r["host_id"])
            self.assertIsNone(r["cpu_time_ms"])
        cold = [r for r in inv if r["experiment"] == "cold"]
        self.assertTrue(all(r["cold"] for r in cold), cold)
        warm = [r for r in inv if r["experiment"] == "get"]
        self.assertFalse(any(r["cold"] for r in warm))
        self.assertEqual({r["memory_mb"] for r in warm}, {128, 256})
        # The probe downloaded the data set's chunks from the bucket the adapter made.
        self.assertTrue(all(r["result"]["ok"] and r["result"]["bytes"] == 1000000 for r in warm), warm[0]["result"])
        self.assertTrue(all(r["result"]["ids"]["cgroup"] for r in cold))
        # The region saw the memory sizes the adapter set.
        recs = self.region.records_list()
        by_id = {r["request_id"]: r for r in recs}
        for r in warm:
            self.assertEqual(by_id[r["request_id"]]["memory_mb"], r["memory_mb"])

    def test_http_endpoint_creates_runs_and_removes_everything(self):
        p, out = self.run_scenario("plain1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("estimated AWS cost $", p.stderr)
        self.check_results(out, "plain1")
        self.assertEqual(self.leftovers(), [])

    def test_https_with_a_test_ca(self):
        ca, cert, key = make_ca(self.tmp)
        lam = TlsProxy(int(self.region.lambda_endpoint.rsplit(":", 1)[1]), cert, key)
        s3 = TlsProxy(int(self.region.s3_endpoint.rsplit(":", 1)[1]), cert, key)
        try:
            urls = dict(lambda_url=f"https://127.0.0.1:{lam.port}", s3_url=f"https://127.0.0.1:{s3.port}")
            p, out = self.run_scenario("tls1", extra=("--ca-file", ca), **urls)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.check_results(out, "tls1")
            # Without the CA the certificate is refused before anything is created.
            p, _ = self.run_scenario("tls2", **urls)
            self.assertNotEqual(p.returncode, 0)
            self.assertRegex(p.stderr, "(?i)certificate|SSL")
            self.assertEqual(self.leftovers(), [])
        finally:
            lam.close()
            s3.close()

    def test_max_cost_refuses_before_creating_anything(self):
        p, out = self.run_scenario("cost1", extra=("--max-cost", "0"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("above --max-cost", p.stderr)
        self.assertEqual(self.leftovers(), [])

    def test_a_probe_for_another_cpu_is_refused_before_creating_anything(self):
        p, out = self.run_scenario("arch1", extra=("--arch", "arm64"))
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("built for x86_64, not arm64", p.stderr)
        self.assertIn("scripts/cross-probe arm64", p.stderr)
        self.assertEqual(self.leftovers(), [])
        buckets = [b["Name"] for b in self.region.s3_client().list_buckets()["Buckets"]]
        self.assertNotIn("faasnet-arch1", buckets)

    def test_cloud_cleanup_finds_a_kept_runs_leftovers_by_tag(self):
        p, out = self.run_scenario("keep1", extra=("--keep",))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(self.leftovers())
        p = self.faasnet("cloud", "cleanup")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("bucket faasnet-keep1", p.stdout)
        self.assertEqual(self.leftovers(), [])
        # Nothing left: a second cleanup finds nothing.
        p = self.faasnet("cloud", "cleanup")
        self.assertIn(" 0 leftover(s)", p.stdout)

    def test_iperf_cells_need_a_server_per_function_and_use_it(self):
        scen = os.path.join(self.tmp, "iperfcloud.yaml")
        with open(scen, "w") as f:
            f.write("name: iperfcloud\nexperiments:\n  - name: bw\n    action: iperf\n    direction: down\n"
                    "    duration_s: 1\n    memory_mb: 256\n    repetitions: 2\n")
        # Without a server the cell is refused before any function is invoked.
        out = os.path.join(self.tmp, "iperf0")
        p = self.faasnet("run", scen, "--platform", "aws", "--role", ROLE, "--run-id", "iperf0", "--out", out)
        self.assertEqual(p.returncode, 1, p.stderr)  # the work failed: its one cell
        self.assertIn("--iperf-server", p.stderr)
        self.assertEqual(rows(os.path.join(out, "invocations.jsonl")), [])
        cells = rows(os.path.join(out, "cells.jsonl"))
        self.assertTrue(cells[0]["failed"])
        self.assertIn("iperf3", cells[0]["error"])
        # With one (the region runs functions unisolated here: 127.0.0.1 is reachable), both rows use it.
        port = free_port()
        server = subprocess.Popen(["iperf3", "-s", "-p", str(port)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            out = os.path.join(self.tmp, "iperf1")
            p = self.faasnet("run", scen, "--platform", "aws", "--role", ROLE, "--run-id", "iperf1", "--out", out,
                             extra=("--iperf-server", f"127.0.0.1:{port}"))
            self.assertEqual(p.returncode, 0, p.stderr)
            inv = rows(os.path.join(out, "invocations.jsonl"))
            self.assertEqual(len(inv), 2)
            for r in inv:
                self.assertEqual(r["error_type"], "", r)
                self.assertTrue(r["result"]["ok"], r["result"])
                self.assertEqual((r["result"]["host"], r["result"]["port"]), ("127.0.0.1", port))
                self.assertGreater(r["result"]["bytes"], 0, r["result"])
        finally:
            server.terminate()
            server.wait(timeout=10)
        self.assertEqual(self.leftovers(), [])

    def test_missing_role_and_credentials_are_clear(self):
        out = os.path.join(self.tmp, "norole")
        p = self.faasnet("run", self.scenario, "--platform", "aws", "--out", out)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--role", p.stderr)


class HttpAdapter(unittest.TestCase):
    def test_posts_events_and_records_the_answers(self):
        seen = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                seen.append(event)
                body = json.dumps({"action": event["action"], "ok": True, "bytes": 0}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        tmp = tempfile.mkdtemp(prefix="faasnet-http-test-", dir="/var/tmp")
        try:
            scen = os.path.join(tmp, "h.yaml")
            with open(scen, "w") as f:
                f.write("name: h\nexperiments:\n  - name: e\n    action: host-id\n    concurrency: 3\n    chunks: 6\n")
            p = subprocess.run([FAASNET, "run", scen, "--platform", "http", "--http-url",
                                f"probe=http://127.0.0.1:{srv.server_port}/", "--out", tmp + "/out"],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            inv = rows(tmp + "/out/invocations.jsonl")
            self.assertEqual(len(inv), 6)
            self.assertTrue(all(r["result"]["ok"] and r["duration_ms"] is None for r in inv))
            self.assertEqual(len([e for e in seen if e["action"] == "host-id"]), 6)
            p = subprocess.run([FAASNET, "run", scen, "--platform", "http", "--out", tmp + "/out2"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 2)
            self.assertIn("--http-url", p.stderr)
        finally:
            srv.shutdown()
            subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    unittest.main(verbosity=2)
