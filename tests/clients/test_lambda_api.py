"""Debian's awscli (v2) and boto3's lambda client against faasnet's Lambda API
(InvokeApi over the in-test FakePlatform, served by `lambda_fake_server`).

Functions "run" as C++ coroutines chosen by their Handler (echo, fail, sleep,
env, context, biglog; tests/lambda/fake_platform.h). What is checked is the
wire format real clients parse: status codes, headers, JSON, error codes.
"""
import base64
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import warnings
import zipfile

from serverfixture import ServerProcess

SERVER = os.environ.get("LAMBDA_FAKE_SERVER",
                        os.path.join(os.path.dirname(__file__), "../../build/tests/lambda/lambda_fake_server"))
AWS = os.environ.get("FAASNET_AWS", "/usr/bin/aws")
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
USERS = {
    "default": ("AKIAFAASNETLAMBDA001", "faasnet/lambda/client/test/secret/0001"),
    "bob": ("AKIAFAASNETLAMBDA002", "faasnet/lambda/client/test/secret/0002"),
}


class LambdaServer:
    """Starts lambda_fake_server on a free loopback port; everything it made
    (credentials file, code directories, log) lives in one temp directory."""

    def __init__(self):
        self.workdir = tempfile.mkdtemp(prefix="faasnet-lambda-clients-")
        self.credentials = os.path.join(self.workdir, "credentials")
        with open(self.credentials, "w") as f:
            for name, (key, secret) in USERS.items():
                f.write(f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
        self.server = ServerProcess(self.workdir)
        self.proc = None
        self.endpoint = None

    def start(self):
        text = self.server.launch([SERVER, self.credentials, "--root", os.path.join(self.workdir, "code")],
                                  ready=b"at http://", timeout=20)
        self.endpoint = re.search(rb"at (http://127\.0\.0\.1:\d+)", text).group(1).decode()
        self.proc = self.server.proc
        return self

    def cleanup(self):
        self.server.cleanup()

    def env(self, profile="default"):
        e = dict(os.environ)
        e.update(AWS_SHARED_CREDENTIALS_FILE=self.credentials, AWS_CONFIG_FILE="/dev/null",
                 AWS_DEFAULT_REGION="us-east-1", AWS_PROFILE=profile, AWS_EC2_METADATA_DISABLED="true",
                 AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
        return e

    def client(self, profile="default", key=None, secret=None):
        import boto3
        from botocore.config import Config
        k, s = USERS[profile]
        return boto3.client("lambda", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=key or k, aws_secret_access_key=secret or s,
                            config=Config(retries={"max_attempts": 1}, read_timeout=60))


def make_zip(executable=True):
    """A deployment package with an executable `bootstrap`, as users build it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = ((0o100755 if executable else 0o100644) << 16)
        z.writestr(info, "#!/bin/sh\necho hello\n")
        z.writestr("lib/data.txt", "data")
    return buf.getvalue()


class LambdaClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)  # boto3 clients keep pooled sockets open
        cls.server = LambdaServer().start()
        cls.tmp = os.path.join(cls.server.workdir, "files")
        os.makedirs(cls.tmp)
        cls.zip_path = os.path.join(cls.tmp, "fn.zip")
        cls.zip_bytes = make_zip()
        with open(cls.zip_path, "wb") as f:
            f.write(cls.zip_bytes)
        cls.lam = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def aws(self, *args, check=True):
        r = subprocess.run([AWS, "--endpoint-url", self.server.endpoint, "--output", "json", *args],
                           env=self.server.env(), capture_output=True, timeout=120)
        if check:
            self.assertEqual(r.returncode, 0, f"aws {' '.join(args)}: {r.stderr.decode()}")
        return r

    def create(self, name, handler="echo", **extra):
        return self.lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler=handler,
                                        Code={"ZipFile": self.zip_bytes}, **extra)

    # ------------------------------------------------------------------ awscli

    def test_awscli_lifecycle(self):
        created = json.loads(self.aws("lambda", "create-function", "--function-name", "cli-fn",
                                      "--runtime", "provided.al2023", "--role", ROLE, "--handler", "echo",
                                      "--zip-file", f"fileb://{self.zip_path}", "--timeout", "10").stdout)
        self.assertEqual(created["FunctionName"], "cli-fn")
        self.assertEqual(created["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:cli-fn")
        self.assertEqual(created["CodeSha256"], base64.b64encode(hashlib.sha256(self.zip_bytes).digest()).decode())
        self.assertEqual(created["CodeSize"], len(self.zip_bytes))
        self.assertEqual(created["Timeout"], 10)
        self.assertEqual(created["MemorySize"], 128)
        self.assertEqual(created["State"], "Active")

        out = os.path.join(self.tmp, "out.json")
        inv = json.loads(self.aws("lambda", "invoke", "--function-name", "cli-fn", "--cli-binary-format",
                                  "raw-in-base64-out", "--payload", '{"hello": "cli"}', "--log-type", "Tail",
                                  out).stdout)
        self.assertEqual(inv["StatusCode"], 200)
        self.assertEqual(inv["ExecutedVersion"], "$LATEST")
        self.assertNotIn("FunctionError", inv)
        self.assertIn("START RequestId:", base64.b64decode(inv["LogResult"]).decode())
        with open(out) as f:
            self.assertEqual(json.load(f), {"hello": "cli"})

        got = json.loads(self.aws("lambda", "get-function", "--function-name", "cli-fn").stdout)
        self.assertEqual(got["Configuration"]["FunctionName"], "cli-fn")
        self.assertTrue(got["Code"]["Location"].startswith("file://"))
        self.assertTrue(os.access(got["Code"]["Location"][len("file://"):] + "/bootstrap", os.X_OK),
                        "the bootstrap keeps its executable bit")

        conf = json.loads(self.aws("lambda", "update-function-configuration", "--function-name", "cli-fn",
                                   "--memory-size", "512", "--environment", "Variables={GREETING=hi}").stdout)
        self.assertEqual(conf["MemorySize"], 512)
        self.assertEqual(conf["Environment"]["Variables"], {"GREETING": "hi"})
        conf = json.loads(self.aws("lambda", "get-function-configuration", "--function-name", "cli-fn").stdout)
        self.assertEqual(conf["MemorySize"], 512)
        self.assertEqual(conf["Timeout"], 10)

        listed = json.loads(self.aws("lambda", "list-functions").stdout)
        self.assertIn("cli-fn", [f["FunctionName"] for f in listed["Functions"]])

        self.aws("lambda", "delete-function", "--function-name", "cli-fn")
        r = self.aws("lambda", "get-function", "--function-name", "cli-fn", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"ResourceNotFoundException", r.stderr)
        self.assertIn(b"Function not found: arn:aws:lambda:us-east-1:000000000000:function:cli-fn", r.stderr)

    def test_awscli_errors(self):
        r = self.aws("lambda", "create-function", "--function-name", "cli-big", "--runtime", "provided.al2",
                     "--role", ROLE, "--handler", "echo", "--zip-file", f"fileb://{self.zip_path}",
                     "--memory-size", "20000", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"ValidationException", r.stderr)
        self.assertIn(b"Member must have value less than or equal to 10240", r.stderr)
        r = self.aws("lambda", "create-function", "--function-name", "cli-node", "--runtime", "nodejs18.x",
                     "--role", ROLE, "--handler", "index.handler", "--zip-file", f"fileb://{self.zip_path}",
                     check=False)
        self.assertIn(b"InvalidParameterValueException", r.stderr)
        bad = os.path.join(self.tmp, "bad.zip")
        with zipfile.ZipFile(bad, "w") as z:  # awscli opens it, faasnet refuses the zip-slip entry
            z.writestr("bootstrap", "#!/bin/sh\n")
            z.writestr("../../escape", "x")
        r = self.aws("lambda", "create-function", "--function-name", "cli-bad", "--runtime", "provided",
                     "--role", ROLE, "--handler", "echo", "--zip-file", f"fileb://{bad}", check=False)
        self.assertIn(b"InvalidParameterValueException", r.stderr)
        self.assertIn(b"Could not unzip uploaded file", r.stderr)

    def test_awscli_local_directory(self):
        code = os.path.join(self.tmp, "local-code")
        os.makedirs(code, exist_ok=True)
        created = json.loads(self.aws("lambda", "create-function", "--function-name", "cli-local",
                                      "--runtime", "python3.12", "--role", ROLE, "--handler", "app.handler",
                                      "--code", f"S3Bucket=faasnet-local,S3Key={code}").stdout)
        self.assertEqual(created["Runtime"], "python3.12")
        got = json.loads(self.aws("lambda", "get-function", "--function-name", "cli-local").stdout)
        self.assertEqual(got["Code"]["Location"], "file://" + code)

    # ------------------------------------------------------------------ boto3

    def test_boto3_invoke(self):
        self.create("py-echo")
        r = self.lam.invoke(FunctionName="py-echo", Payload=json.dumps({"n": 1}).encode(), LogType="Tail")
        self.assertEqual(r["StatusCode"], 200)
        self.assertEqual(json.loads(r["Payload"].read()), {"n": 1})
        self.assertIn("REPORT RequestId:", base64.b64decode(r["LogResult"]).decode())
        self.assertEqual(r["ExecutedVersion"], "$LATEST")
        self.assertNotIn("FunctionError", r)
        # By ARN, and with $LATEST.
        arn = "arn:aws:lambda:us-east-1:000000000000:function:py-echo"
        self.assertEqual(self.lam.invoke(FunctionName=arn, Payload=b"{}")["StatusCode"], 200)
        self.assertEqual(self.lam.invoke(FunctionName="py-echo", Qualifier="$LATEST", Payload=b"{}")["StatusCode"], 200)
        self.assertEqual(self.lam.invoke(FunctionName="py-echo", InvocationType="Event", Payload=b"{}")["StatusCode"],
                         202)
        self.assertEqual(self.lam.invoke(FunctionName="py-echo", InvocationType="DryRun")["StatusCode"], 204)

    def test_boto3_function_error(self):
        self.create("py-fail", handler="fail")
        r = self.lam.invoke(FunctionName="py-fail", Payload=b"{}")
        self.assertEqual(r["StatusCode"], 200)
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(r["Payload"].read())["errorMessage"], "boom")

    def test_boto3_client_context(self):
        self.create("py-ctx", handler="context")
        cc = base64.b64encode(json.dumps({"custom": {"a": "b"}}).encode()).decode()
        r = self.lam.invoke(FunctionName="py-ctx", ClientContext=cc, Payload=b"{}")
        body = json.loads(r["Payload"].read())
        self.assertEqual(json.loads(body["client_context"]), {"custom": {"a": "b"}})
        self.assertEqual(body["request_id"], r["ResponseMetadata"]["RequestId"])

    def test_boto3_errors_are_the_right_exceptions(self):
        lam = self.lam
        with self.assertRaises(lam.exceptions.ResourceNotFoundException) as cm:
            lam.invoke(FunctionName="no-such-function", Payload=b"{}")
        self.assertIn("Function not found", cm.exception.response["Error"]["Message"])
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_function(FunctionName="no-such-function")
        with self.assertRaises(lam.exceptions.InvalidParameterValueException):
            lam.create_function(FunctionName="py-node", Runtime="nodejs18.x", Role=ROLE, Handler="index.h",
                                Code={"ZipFile": self.zip_bytes})
        self.create("py-dup")
        with self.assertRaises(lam.exceptions.ResourceConflictException):
            self.create("py-dup")
        with self.assertRaises(lam.exceptions.InvalidRequestContentException):
            lam.invoke(FunctionName="py-dup", Payload=b"{not json")
        with self.assertRaises(lam.exceptions.RequestTooLargeException):
            lam.invoke(FunctionName="py-dup", Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
        import botocore.exceptions
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            lam.update_function_configuration(FunctionName="py-dup", MemorySize=20000)
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)

    def test_boto3_authentication(self):
        import botocore.exceptions
        wrong = self.server.client(secret="not-the-secret")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            wrong.list_functions()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidSignatureException")
        unknown = self.server.client(key="AKIANOBODY0000000000")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            unknown.list_functions()
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnrecognizedClientException")
        # Any user of the credentials file may call.
        self.assertIn("Functions", self.server.client("bob").list_functions())

    def test_boto3_throttling(self):
        self.create("py-slow", handler="sleep", Environment={"Variables": {"FAASNET_FAKE_CONCURRENCY": "1"}})
        first = {}

        def slow():
            first["r"] = self.server.client().invoke(FunctionName="py-slow", Payload=b'{"ms": 1500}')

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)
        with self.assertRaises(self.lam.exceptions.TooManyRequestsException) as cm:
            self.lam.invoke(FunctionName="py-slow", Payload=b'{"ms": 0}')
        self.assertEqual(cm.exception.response["Reason"], "ReservedFunctionConcurrentInvocationLimitExceeded")
        t.join()
        self.assertEqual(json.loads(first["r"]["Payload"].read()), {"slept_ms": 1500})

    def test_boto3_update_and_list_pagination(self):
        for i in range(5):
            self.create(f"page-{i}")
        updated = self.lam.update_function_configuration(FunctionName="page-0", MemorySize=1024, Timeout=30,
                                                         Environment={"Variables": {"KEY1": "v"}})
        self.assertEqual(updated["MemorySize"], 1024)
        self.assertEqual(self.lam.get_function_configuration(FunctionName="page-0")["Timeout"], 30)
        names = []
        for page in self.lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}):
            self.assertLessEqual(len(page["Functions"]), 2)
            names += [f["FunctionName"] for f in page["Functions"]]
        for i in range(5):
            self.assertIn(f"page-{i}", names)
        self.assertEqual(len(names), len(set(names)))
        self.lam.delete_function(FunctionName="page-4")
        with self.assertRaises(self.lam.exceptions.ResourceNotFoundException):
            self.lam.get_function_configuration(FunctionName="page-4")


if __name__ == "__main__":
    unittest.main(verbosity=2)
