"""Starts `faasnet store serve` on a free loopback port for client tests.

Every test process owns its server: a temp data directory, a credentials
file with two users, and the child process, all removed at the end.
"""
import os
import re
import signal
import tempfile

from serverfixture import ServerProcess

FAASNET = os.environ.get("FAASNET_BIN", os.path.join(os.path.dirname(__file__), "../../build/faasnet"))

USERS = {
    "default": ("AKIAFAASNETTEST00001", "faasnet/test/secret/key/number/one/0001"),
    "bob": ("AKIAFAASNETTEST00002", "faasnet/test/secret/key/number/two/00002"),
}


class StoreServer:
    def __init__(self, extra_args=(), data_dir=None, workdir=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix="faasnet-clients-")
        self.data_dir = data_dir or os.path.join(self.workdir, "data")
        self.credentials = os.path.join(self.workdir, "credentials")
        with open(self.credentials, "w") as f:
            for name, (key, secret) in USERS.items():
                f.write(f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
        self.extra_args = list(extra_args)
        self.server = ServerProcess(self.workdir)
        self.proc = None
        self.endpoint = None

    def start(self):
        text = self.server.launch(
            [FAASNET, "store", "serve", "--data", self.data_dir, "--listen", "127.0.0.1:0",
             "--credentials", self.credentials, "--access-log", os.path.join(self.workdir, "access.log")]
            + self.extra_args, ready=b"store serving", timeout=20)
        self.endpoint = re.search(rb"at (http://127\.0\.0\.1:\d+)", text).group(1).decode()
        self.proc = self.server.proc
        return self

    def stop(self, sig=signal.SIGTERM):
        return self.server.stop(sig, timeout=20)

    def cleanup(self):
        self.server.cleanup()

    def env(self, profile="default"):
        """Environment for awscli/boto3 subprocesses pointing at this store."""
        e = dict(os.environ)
        e.update(AWS_SHARED_CREDENTIALS_FILE=self.credentials, AWS_CONFIG_FILE="/dev/null",
                 AWS_DEFAULT_REGION="us-east-1", AWS_PROFILE=profile, AWS_EC2_METADATA_DISABLED="true",
                 AWS_PAGER="")
        return e

    def boto3_client(self, profile="default", secret=None, **config):
        import boto3
        from botocore.config import Config
        key, real_secret = USERS[profile]
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret or real_secret,
                            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                          retries={"total_max_attempts": 1}, **config))
