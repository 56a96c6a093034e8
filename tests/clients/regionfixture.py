"""Starts `faasnet region up` for client tests and builds function zips.

Each test process owns its region: a temp working directory, its own region
name (so namespaces and cgroups never collide with another run), loopback
ports chosen by the kernel, and the child process, stopped at the end.
"""
import io
import os
import re
import tempfile
import zipfile

from serverfixture import ServerProcess

FAASNET = os.environ.get("FAASNET_BIN", os.path.join(os.path.dirname(__file__), "../../build/faasnet"))
SOURCE = os.environ.get("FAASNET_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
NOOP = os.environ.get("FAASNET_NOOP_BOOTSTRAP", os.path.join(os.path.dirname(FAASNET), "functions/noop/bootstrap"))
PROBE = os.environ.get("FAASNET_PROBE_BOOTSTRAP", os.path.join(os.path.dirname(FAASNET), "functions/probe/bootstrap"))


def python_zip(app_py):
    """A python3 function's zip: `app_py` (a path under the source tree) as app.py."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(os.path.join(SOURCE, app_py), "app.py")
    return buf.getvalue()


def native_zip(bootstrap):
    """A `provided` function's zip: the executable at `bootstrap` as bootstrap."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        with open(bootstrap, "rb") as f:
            z.writestr(info, f.read())
    return buf.getvalue()


def python_echo_zip():
    return python_zip("runtime/functions/python-echo/app.py")


def native_noop_zip():
    return native_zip(NOOP)


class RegionServer:
    def __init__(self, isolation="none", config_text=None):
        # Not under /tmp: isolated sandboxes get a private /tmp and would not see their code.
        self.workdir = tempfile.mkdtemp(prefix="faasnet-region-test-", dir="/var/tmp")
        self.name = "t%d" % (os.getpid() % 100000)
        self.isolation = isolation
        self.config = os.path.join(self.workdir, "region.yaml")
        with open(self.config, "w") as f:
            f.write(config_text or "hosts: {count: 1, vcpus: 2, memory: 3840}\nidle_timeout: 5m\n")
            f.write(f"\nname: {self.name}\n")
        self.server = ServerProcess(self.workdir)
        self.proc = None

    def start(self):
        text = self.server.launch(
            [FAASNET, "region", "up", "--config", self.config, "--isolation", self.isolation, "--workdir",
             os.path.join(self.workdir, "region"), "--s3-listen", "127.0.0.1:0", "--lambda-listen", "127.0.0.1:0"],
            ready=b"Stop with")
        self.proc = self.server.proc
        self.lambda_endpoint = re.search(rb"Lambda API (http://\S+)", text).group(1).decode()
        self.s3_endpoint = re.search(rb"S3 store\s+(http://\S+)", text).group(1).decode()
        self.credentials = re.search(rb"^  credentials (\S+)", text, re.M).group(1).decode()
        self.records = re.search(rb"records\s+(\S+)", text).group(1).decode()
        with open(self.credentials) as f:
            creds = f.read()
        self.key = re.search(r"aws_access_key_id\s*=\s*(\S+)", creds).group(1)
        self.secret = re.search(r"aws_secret_access_key\s*=\s*(\S+)", creds).group(1)
        return self

    def stop(self):
        return self.server.stop()

    def cleanup(self):
        self.server.cleanup()

    def lambda_client(self):
        import boto3
        from botocore.config import Config
        return boto3.client("lambda", endpoint_url=self.lambda_endpoint, region_name="us-east-1",
                            aws_access_key_id=self.key, aws_secret_access_key=self.secret,
                            config=Config(retries={"total_max_attempts": 1}, read_timeout=120))

    def s3_client(self):
        """boto3's S3 client on the region's store, as the region's own user."""
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
                            aws_access_key_id=self.key, aws_secret_access_key=self.secret,
                            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))

    def record_of(self, request_id, timeout=10):
        """The invocation record of `request_id`, waiting up to `timeout` s for it to be written."""
        import time
        deadline = time.time() + timeout
        while time.time() < deadline:
            for r in self.records_list():
                if r.get("request_id") == request_id:
                    return r
            time.sleep(0.05)
        raise AssertionError(f"no record of request {request_id} in {self.records}")

    def records_list(self):
        import json
        try:
            with open(self.records) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []
