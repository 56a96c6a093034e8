"""The probe as the aws adapter deploys it (`faasnet cloud package probe`), run where nothing of this
Debian machine is visible: the zip is unpacked to /var/task of an otherwise empty root (only /proc,
/tmp, /dev/{null,zero,urandom} and an Amazon Linux-style CA file at /etc/pki/tls/certs/ca-bundle.crt), and its `bootstrap` runs
chrooted there in a mount namespace of its own, as on Lambda's provided.al2023, whose glibc is older
than the one the probe was built with. It must serve a fake Runtime API on 127.0.0.1: noop, host-id,
an S3 GET and PUT over https against `faasnet store serve` behind a TLS proxy (certificate from a test
CA, found through the launcher's CA search), and an iperf test through libiperf.

Root only (chroot, mount namespace): skipped otherwise with the reason, except under CI=true."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import zipfile

import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "runtime"))
from fake_runtime_api import FakeRuntimeApi  # noqa: E402
from storefixture import FAASNET, USERS, StoreServer  # noqa: E402
from tlsfixture import TlsProxy, make_ca  # noqa: E402

BUCKET = "bundle"
OBJECT = ("chunk.bin", 3_000_001)
IPERF3 = "/usr/bin/iperf3"
DEV_NODES = ("null", "zero", "urandom")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    with open("/proc/net/tcp") as f:
        return any(l.split()[1].endswith(":%04X" % port) and l.split()[3] == "0A" for l in list(f)[1:])


def unzip_with_modes(zip_path, dest):
    """Unpacks like Lambda does: the Unix mode from each entry's external attributes."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            path = z.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(path, mode)


@unittest.skipUnless(os.geteuid() == 0 or os.environ.get("CI") == "true",
                     "needs root (chroot and a mount namespace): run as root or with sudo")
class ProbeBundleInAForeignRoot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="faasnet-bundle-", dir="/var/tmp")
        cls.zip = os.path.join(cls.tmp, "probe.zip")
        p = subprocess.run([FAASNET, "cloud", "package", "probe", "--out", cls.zip], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        cls.store = StoreServer().start()
        cls.s3 = cls.store.boto3_client()
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.body = os.urandom(OBJECT[1])
        cls.s3.put_object(Bucket=BUCKET, Key=OBJECT[0], Body=cls.body)
        cls.ca, cert, key = make_ca(cls.tmp)
        cls.tls = TlsProxy(int(cls.store.endpoint.rsplit(":", 1)[1]), cert, key)

    @classmethod
    def tearDownClass(cls):
        cls.tls.close()
        cls.store.stop()
        cls.store.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def make_root(self, with_ca=True):
        root = tempfile.mkdtemp(prefix="root-", dir=self.tmp)
        unzip_with_modes(self.zip, os.path.join(root, "var", "task"))
        for d in ("proc", "tmp", "dev"):
            os.makedirs(os.path.join(root, d))
        for node in DEV_NODES:  # bound to the host's at start; Lambda's /dev has them too
            open(os.path.join(root, "dev", node), "w").close()
        os.chmod(os.path.join(root, "tmp"), 0o1777)
        if with_ca:
            os.makedirs(os.path.join(root, "etc/pki/tls/certs"))
            shutil.copy(self.ca, os.path.join(root, "etc/pki/tls/certs/ca-bundle.crt"))
        return root

    def start(self, root, api, extra_env=None):
        key, secret = USERS["default"]
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "LAMBDA_TASK_ROOT": "/var/task",
            "AWS_LAMBDA_FUNCTION_NAME": "bundle-test",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_ENDPOINT_URL_S3": f"https://127.0.0.1:{self.tls.port}",
            **(extra_env or {}),
        }
        binds = " && ".join(f'mount --bind /dev/{n} "{root}/dev/{n}"' for n in DEV_NODES)
        script = f'mount -t proc proc "{root}/proc" && {binds} && exec /usr/sbin/chroot "{root}" /var/task/bootstrap'
        log = open(os.path.join(root, "..", os.path.basename(root) + ".log"), "wb")
        proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script],
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.addCleanup(self.stop, proc, log)
        return proc, log.name

    def stop(self, proc, log):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()

    def invoke(self, api, event, timeout=30.0):
        rid = api.enqueue(event, timeout_s=timeout)
        result = api.wait_result(rid, timeout=timeout)
        self.assertIsNotNone(result, f"no answer to {event}")
        return result["kind"], json.loads(result["body"])

    def test_the_root_holds_nothing_but_the_bundle(self):
        root = self.make_root()
        found = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
        self.assertTrue(all(f.split("/")[0] in ("var", "etc", "dev") for f in found), found)
        self.assertTrue(all(f.startswith("var/task/") for f in found if f.startswith("var")), found)
        for must in ("var/task/bootstrap", "var/task/bin/probe", "var/task/lib/ld.so", "var/task/lib/libc.so.6",
                     "var/task/lib/libcurl.so.4", "var/task/lib/libiperf.so.0"):
            self.assertIn(must, found)
            self.assertTrue(os.access(os.path.join(root, must), os.R_OK))
        for exe in ("bootstrap", "bin/probe", "lib/ld.so"):
            self.assertTrue(os.access(os.path.join(root, "var/task", exe), os.X_OK), exe)
        with open(os.path.join(root, "var/task/bootstrap"), "rb") as f:
            head = f.read(4096)
        self.assertEqual(head[:4], b"\x7fELF")
        self.assertNotIn(b"/lib64/ld-linux", head, "the launcher must be static (no interpreter)")

    def test_serves_the_runtime_api_over_https_and_iperf_from_an_empty_root(self):
        api = FakeRuntimeApi()
        self.addCleanup(api.stop)
        root = self.make_root()
        proc, log = self.start(root, api)

        kind, body = self.invoke(api, {"action": "noop"})
        self.assertEqual(kind, "response", body)
        self.assertTrue(body["ok"], body)

        kind, body = self.invoke(api, {"action": "host-id"})
        self.assertEqual(kind, "response", body)
        self.assertTrue(body["ok"], body)

        kind, body = self.invoke(api, {"action": "s3-get", "bucket": BUCKET, "keys": [OBJECT[0]]})
        self.assertEqual(kind, "response", body)
        self.assertTrue(body["ok"], body.get("error"))
        self.assertEqual(body["bytes"], OBJECT[1])
        self.assertTrue(body["endpoint"].startswith("https://"), body["endpoint"])

        kind, body = self.invoke(api, {"action": "s3-put", "bucket": BUCKET, "key": "out/put", "bytes": 1_000_000})
        self.assertEqual(kind, "response", body)
        self.assertTrue(body["ok"], body.get("error"))
        self.assertEqual(self.s3.head_object(Bucket=BUCKET, Key="out/put")["ContentLength"], 1_000_000)

        port = free_port()
        iperf = subprocess.Popen([IPERF3, "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (iperf.poll() is None and iperf.kill(), iperf.wait(timeout=10)))
        deadline = time.time() + 10
        while time.time() < deadline and not listening(port):  # a test connection would use up `-1`
            time.sleep(0.02)
        iperf_event = {"action": "iperf", "direction": "up", "duration_s": 1, "host": "127.0.0.1", "port": port}
        kind, body = self.invoke(api, iperf_event)
        self.assertEqual(kind, "response", body)
        self.assertTrue(body["ok"], body.get("error"))
        self.assertGreater(body["bytes"], 0)
        self.assertIsNone(proc.poll(), open(log).read())

    def test_without_a_ca_file_https_is_refused_not_trusted(self):
        api = FakeRuntimeApi()
        self.addCleanup(api.stop)
        root = self.make_root(with_ca=False)
        self.start(root, api)
        kind, body = self.invoke(api, {"action": "s3-get", "bucket": BUCKET, "keys": [OBJECT[0]]})
        self.assertEqual(kind, "response", body)
        self.assertFalse(body["ok"], body)
        self.assertRegex(body["error"], "(?i)certificate|ssl|tls")


if __name__ == "__main__":
    unittest.main(verbosity=2)
