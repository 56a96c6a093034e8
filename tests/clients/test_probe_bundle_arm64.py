"""An arm64 probe bundle made on an x86_64 machine (scripts/cross-probe arm64), checked here: its
`bootstrap` is a static arm64 program, `faasnet cloud package probe --arch arm64` takes it (and the
x86_64 default refuses it), and under qemu-user its probe, run by the bundle's own loader and
libraries, serves a fake Runtime API: noop, host-id, an S3 GET and PUT against `faasnet store serve`.
Where binfmt_misc runs arm64 programs through qemu, the static `bootstrap` itself is run as well.

Skipped unless FAASNET_ARM64_PROBE_DIR names the bundle (OUT_DIR/functions/probe-bundle of
scripts/cross-probe): building it takes an arm64 sysroot and a cross build, too much for every run."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "runtime"))
from fake_runtime_api import FakeRuntimeApi  # noqa: E402
from storefixture import FAASNET, USERS, StoreServer  # noqa: E402

BUNDLE = os.environ.get("FAASNET_ARM64_PROBE_DIR", "")
QEMU = shutil.which("qemu-aarch64")
EM_AARCH64, PT_INTERP = 183, 3
AARCH64_MAGIC = "7f454c460201010000000000000000000200b700"  # binfmt_misc's `magic` line for arm64 ELF


def elf_machine_and_interp(path):
    """(e_machine, has PT_INTERP) of a 64-bit little-endian ELF file."""
    with open(path, "rb") as f:
        h = f.read(64)
        assert h[:4] == b"\x7fELF" and h[4] == 2 and h[5] == 1, path + " is not a 64-bit little-endian ELF"
        machine = struct.unpack_from("<H", h, 18)[0]
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        types = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            types.append(struct.unpack("<I", f.read(4))[0])
    return machine, PT_INTERP in types


def binfmt_runs_arm64():
    d = "/proc/sys/fs/binfmt_misc"
    try:
        for name in os.listdir(d):
            if name in ("register", "status"):
                continue
            with open(os.path.join(d, name)) as f:
                text = f.read()
            if text.startswith("enabled") and "magic " + AARCH64_MAGIC in text:
                return True
    except OSError:
        pass
    return False


@unittest.skipUnless(BUNDLE, "set FAASNET_ARM64_PROBE_DIR to an arm64 probe bundle "
                             "(scripts/cross-probe arm64 makes build-arm64/functions/probe-bundle)")
class Arm64ProbeBundle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="faasnet-arm64-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_bootstrap_is_static_and_the_probe_is_arm64(self):
        self.assertEqual(elf_machine_and_interp(os.path.join(BUNDLE, "bootstrap")), (EM_AARCH64, False))
        self.assertEqual(elf_machine_and_interp(os.path.join(BUNDLE, "bin/probe")), (EM_AARCH64, True))
        self.assertEqual(elf_machine_and_interp(os.path.join(BUNDLE, "lib/libc.so.6"))[0], EM_AARCH64)

    def test_cloud_package_takes_it_for_arm64_only(self):
        out = os.path.join(self.tmp, "probe-arm64.zip")
        env = dict(os.environ, FAASNET_PROBE_DIR=BUNDLE)
        p = subprocess.run([FAASNET, "cloud", "package", "probe", "--arch", "arm64", "--out", out],
                           capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        with zipfile.ZipFile(out) as z:
            names = set(z.namelist())
        for must in ("bootstrap", "bin/probe", "lib/ld.so", "lib/libc.so.6", "lib/libcurl.so.4", "lib/libiperf.so.0"):
            self.assertIn(must, names)
        p = subprocess.run([FAASNET, "cloud", "package", "probe", "--arch", "x86_64", "--out", out + ".x"],
                           capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("built for arm64, not x86_64", p.stderr)

    def serve(self, command):
        """Runs `command` as the function against a fake Runtime API and the store: noop, host-id, S3."""
        store = StoreServer().start()
        self.addCleanup(store.cleanup)
        self.addCleanup(store.stop)
        s3 = store.boto3_client()
        self.addCleanup(s3.close)
        s3.create_bucket(Bucket="arm64")
        body = os.urandom(1_000_003)
        s3.put_object(Bucket="arm64", Key="in", Body=body)
        api = FakeRuntimeApi()
        self.addCleanup(api.stop)
        key, secret = USERS["default"]
        env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": api.address, "AWS_REGION": "us-east-1",
               "AWS_LAMBDA_FUNCTION_NAME": "arm64", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
               "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_ENDPOINT_URL_S3": store.endpoint}
        log = open(os.path.join(self.tmp, "probe.log"), "wb")
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait(timeout=10), log.close()))

        def invoke(event):
            rid = api.enqueue(event, timeout_s=60)
            result = api.wait_result(rid, timeout=60)  # emulated: slower than native
            self.assertIsNotNone(result, f"no answer to {event} (log: {log.name})")
            self.assertEqual(result["kind"], "response", result["body"])
            answer = json.loads(result["body"])
            self.assertTrue(answer["ok"], answer)
            return answer

        invoke({"action": "noop"})
        self.assertTrue(invoke({"action": "host-id"})["cgroup_lines"])
        self.assertEqual(invoke({"action": "s3-get", "bucket": "arm64", "keys": ["in"]})["bytes"], len(body))
        invoke({"action": "s3-put", "bucket": "arm64", "key": "out", "bytes": 500_000})
        self.assertEqual(s3.head_object(Bucket="arm64", Key="out")["ContentLength"], 500_000)

    @unittest.skipUnless(QEMU, "needs qemu-aarch64 (Debian's qemu-user)")
    def test_the_probe_serves_the_runtime_api_under_qemu(self):
        self.serve([QEMU, os.path.join(BUNDLE, "lib/ld.so"), "--library-path", os.path.join(BUNDLE, "lib"),
                    os.path.join(BUNDLE, "bin/probe")])

    @unittest.skipUnless(binfmt_runs_arm64(), "binfmt_misc has no enabled arm64 handler "
                                              "(qemu-user-binfmt: update-binfmts --enable qemu-aarch64)")
    def test_the_static_bootstrap_runs_through_binfmt(self):
        self.serve([os.path.abspath(os.path.join(BUNDLE, "bootstrap"))])


if __name__ == "__main__":
    unittest.main(verbosity=2)
