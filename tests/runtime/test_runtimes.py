"""faasnet's two runtimes against a fake Runtime API: the python3 bootstrap (runtime/python/bootstrap.py
running runtime/functions/python-echo) and the native noop bootstrap (faasnet_runtime's RunLoop).

Both must pass the same contract (RuntimeContract): payloads, function errors, several invocations on
one process, context fields, exits and crashes, and exiting when the Runtime API disappears. The
Python runtime also has Lambda's init errors, marshal errors and handler naming. ColdStartTest prints
the figures that matter for the region's cold invoke: median time from posix_spawn() to the first
GET /next, and to the first response, over 50 runs (native) and 10 (python).

Run with Debian's /usr/bin/python3 (its boto3 is used). Environment: FAASNET_NOOP_BOOTSTRAP (the built
noop bootstrap) and FAASNET_SOURCE_DIR; CTest sets both.
"""
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_runtime_api import FakeRuntimeApi  # noqa: E402

SOURCE_DIR = os.environ.get("FAASNET_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
PYTHON_BOOTSTRAP = os.path.join(SOURCE_DIR, "runtime", "python", "bootstrap.py")
PYTHON_ECHO = os.path.join(SOURCE_DIR, "runtime", "functions", "python-echo")
NOOP_BOOTSTRAP = os.path.abspath(os.environ.get("FAASNET_NOOP_BOOTSTRAP") or os.path.join(
    SOURCE_DIR, "build", "functions", "noop", "bootstrap"))
PYTHON = "/usr/bin/python3"  # Debian's, with python3-boto3, as the region runs it
ARN = "arn:aws:lambda:us-east-1:000000000000:function:test-fn"


class Function:
    """One runtime process with its own fake Runtime API, task root and captured output."""

    def __init__(self, command, handler, task_root, api=None, extra_env=None):
        self.api = api or FakeRuntimeApi()
        self.workdir = tempfile.mkdtemp(prefix="faasnet-runtime-")
        self.log_path = os.path.join(self.workdir, "output.log")
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": task_root,
            "AWS_LAMBDA_FUNCTION_NAME": "test-fn",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_REGION": "us-east-1",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/test-fn",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]0123456789abcdef",
            **(extra_env or {}),
        }
        with open(self.log_path, "wb") as log:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(command, env=env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def invoke(self, event, **kwargs):
        """Queues an event and waits for its outcome: ("response"|"error", parsed body, headers)."""
        request_id = self.api.enqueue(event, **kwargs)
        result = self.api.wait_result(request_id, timeout=20)
        if result is None:
            raise AssertionError(f"no result for {event!r}; exit code {self.proc.poll()}; output:\n{self.output()}")
        body = json.loads(result["body"]) if result["body"] else None
        return result["kind"], body, result["headers"]

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_exit(self, timeout=15):
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.api.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class RuntimeContract:
    """Behaviour both runtimes share; subclasses say how to start their function."""

    def start(self):
        raise NotImplementedError

    def setUp(self):
        self.fn = self.start()
        self.addCleanup(self.fn.close)

    def test_success_payload(self):
        kind, body, headers = self.fn.invoke({})
        self.assertEqual(kind, "response")
        self.assertEqual(body, {"ok": True})
        self.assertTrue(headers.get("Content-Type", "").startswith("application/json"))

    def test_echo(self):
        event = {"echo": {"n": 1, "s": "héllo", "list": [1, 2, None]}}
        kind, body, _ = self.fn.invoke(event)
        self.assertEqual((kind, body), ("response", {"ok": True, "echo": event["echo"]}))

    def test_function_error(self):
        kind, body, headers = self.fn.invoke({"error": "it broke"})
        self.assertEqual(kind, "error")
        self.assertEqual(body["errorType"], "FunctionError")
        self.assertEqual(body["errorMessage"], "it broke")
        self.assertIsInstance(body["stackTrace"], list)
        self.assertEqual(headers.get("Lambda-Runtime-Function-Error-Type"), "FunctionError")
        # and the process goes on serving
        self.assertEqual(self.fn.invoke({})[:2], ("response", {"ok": True}))

    def test_loop_serves_several_invocations_on_one_process(self):
        for i in range(20):
            kind, body, _ = self.fn.invoke({"echo": i})
            self.assertEqual((kind, body), ("response", {"ok": True, "echo": i}))
        self.assertIsNotNone(self.fn.api.wait_next(21))  # 20 served, the 21st waiting
        self.assertIsNone(self.fn.proc.poll())

    def test_context_fields(self):
        deadline = int(time.time() * 1000) + 5000
        kind, body, _ = self.fn.invoke({"context": True}, request_id="req-ctx-1", deadline_ms=deadline)
        self.assertEqual(kind, "response")
        ctx = body["context"]
        self.assertEqual(ctx["aws_request_id"], "req-ctx-1")
        self.assertEqual(ctx["invoked_function_arn"], ARN)
        self.assertEqual(ctx["function_name"], "test-fn")
        self.assertEqual(ctx["function_version"], "$LATEST")
        self.assertEqual(ctx["memory_limit_in_mb"], 256)
        self.assertTrue(3500 < ctx["remaining_time_ms"] <= 5000, ctx)

    def test_remaining_time_follows_the_deadline_header(self):
        now = int(time.time() * 1000)
        _, near, _ = self.fn.invoke({"context": True}, deadline_ms=now + 1000)
        self.assertTrue(0 < near["context"]["remaining_time_ms"] <= 1000, near)
        # time spent in the handler is taken off
        _, slept, _ = self.fn.invoke({"sleep_ms": 300, "context": True}, deadline_ms=int(time.time() * 1000) + 3000)
        self.assertTrue(1500 < slept["context"]["remaining_time_ms"] <= 2700, slept)
        _, past, _ = self.fn.invoke({"context": True}, deadline_ms=now - 10_000)
        self.assertEqual(past["context"]["remaining_time_ms"], 0)

    def test_sleep_cpu_alloc(self):
        t0 = time.perf_counter()
        kind, body, _ = self.fn.invoke({"sleep_ms": 200})
        self.assertEqual(kind, "response")
        self.assertGreaterEqual(time.perf_counter() - t0, 0.2)
        kind, body, _ = self.fn.invoke({"cpu_ms": 50})
        self.assertGreaterEqual(body["cpu_ms"], 50)
        kind, body, _ = self.fn.invoke({"alloc_mb": 32})
        self.assertEqual((kind, body["allocated_mb"]), ("response", 32))

    def test_hostinfo(self):
        _, body, _ = self.fn.invoke({"hostinfo": True})
        info = body["hostinfo"]
        self.assertEqual(info["pid"], self.fn.proc.pid)
        self.assertIn(":", info["cgroup"])  # "<id>:<controllers>:<path>" lines
        self.assertTrue(info["hostname"])
        self.assertEqual(info["env"]["AWS_LAMBDA_FUNCTION_NAME"], "test-fn")
        self.assertEqual(info["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256")
        self.assertEqual(info["env"]["AWS_REGION"], "us-east-1")
        self.assertEqual(info["env"]["_HANDLER"], self.handler)

    def test_reconnects_when_the_api_closes_its_connections(self):
        self.fn.api.close_after_post = True  # each POST's connection is closed after its 202
        for i in range(5):
            self.assertEqual(self.fn.invoke({"echo": i})[:2], ("response", {"ok": True, "echo": i}))

    def test_exit_action_ends_the_process_with_its_code(self):
        self.fn.api.enqueue({"exit": 7})
        self.assertEqual(self.fn.wait_exit(), 7)
        self.assertEqual(self.fn.api.results, {})

    def test_crash_action_aborts(self):
        self.fn.api.enqueue({"crash": True})
        self.assertEqual(self.fn.wait_exit(), -signal.SIGABRT)

    def test_exits_when_the_runtime_api_disappears(self):
        self.assertEqual(self.fn.invoke({})[0], "response")
        self.assertIsNotNone(self.fn.api.wait_next(2))  # waiting in its next long poll
        t0 = time.monotonic()
        self.fn.api.stop()
        code = self.fn.wait_exit(timeout=15)
        waited = time.monotonic() - t0
        self.assertEqual(code, 3, self.fn.output())
        self.assertTrue(1.5 <= waited < 10, waited)  # the 2 s grace, not at once and not never


class PythonRuntimeTest(RuntimeContract, unittest.TestCase):
    handler = "app.handler"

    def start(self, handler=None, task_root=None):
        if task_root is None:  # a copy, so no __pycache__ or stray file lands in the source tree
            task_root = tempfile.mkdtemp(prefix="faasnet-task-")
            self.addCleanup(shutil.rmtree, task_root, True)
            shutil.copy(os.path.join(PYTHON_ECHO, "app.py"), task_root)
        return Function([PYTHON, PYTHON_BOOTSTRAP], handler or self.handler, task_root)

    def start_with_code(self, files, handler):
        """A second function (besides setUp's) whose task root holds `files` {path: source}."""
        root = tempfile.mkdtemp(prefix="faasnet-task-")
        self.addCleanup(shutil.rmtree, root, True)
        for path, source in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(textwrap.dedent(source))
        fn = self.start(handler, root)
        self.addCleanup(fn.close)
        return fn

    def init_error(self, files, handler):
        fn = self.start_with_code(files, handler)
        self.assertEqual(fn.wait_exit(), 1, fn.output())
        error = fn.api.wait_init_error(timeout=1)
        self.assertIsNotNone(error, fn.output())
        self.assertEqual(error["headers"].get("Lambda-Runtime-Function-Error-Type"), error["body"]["errorType"])
        self.assertEqual(fn.api.next_times, [])  # never asked for an event
        return error["body"], fn.output()

    def test_init_error_missing_module(self):
        body, output = self.init_error({}, "nosuchmodule.handler")
        self.assertEqual(body["errorType"], "Runtime.ImportModuleError")
        self.assertEqual(body["errorMessage"], "Unable to import module 'nosuchmodule': No module named 'nosuchmodule'")
        self.assertIn("Runtime.ImportModuleError", output)

    def test_init_error_missing_dependency_is_an_import_error(self):
        body, _ = self.init_error({"app.py": "import not_installed_dep\n"}, "app.handler")
        self.assertEqual(body["errorType"], "Runtime.ImportModuleError")
        self.assertIn("not_installed_dep", body["errorMessage"])

    def test_init_error_missing_function(self):
        body, _ = self.init_error({"app.py": "def other(e, c):\n    return 1\n"}, "app.handler")
        self.assertEqual(body["errorType"], "Runtime.HandlerNotFound")
        self.assertEqual(body["errorMessage"], "Handler 'handler' missing on module 'app'")

    def test_init_error_syntax_error(self):
        body, _ = self.init_error({"app.py": "def handler(e, c)\n    return 1\n"}, "app.handler")
        self.assertEqual(body["errorType"], "Runtime.UserCodeSyntaxError")
        self.assertTrue(body["errorMessage"].startswith("Syntax error in module 'app':"), body)
        self.assertIn("app.py", body["stackTrace"][0])

    def test_init_error_exception_at_import_keeps_its_class_name(self):
        body, _ = self.init_error({"app.py": "raise ValueError('bad config')\n"}, "app.handler")
        self.assertEqual((body["errorType"], body["errorMessage"]), ("ValueError", "bad config"))
        self.assertTrue(body["stackTrace"] and "app.py" in body["stackTrace"][-1], body)
        self.assertFalse(any("bootstrap.py" in line for line in body["stackTrace"]), body)

    def test_init_error_malformed_handler(self):
        body, _ = self.init_error({"app.py": "def handler(e, c):\n    return 1\n"}, "app")
        self.assertEqual(body["errorType"], "Runtime.MalformedHandlerName")

    def test_handler_exception_stack_trace(self):
        kind, body, _ = self.fn.invoke({"error": "boom"})
        self.assertEqual(kind, "error")
        self.assertTrue(all(isinstance(s, str) for s in body["stackTrace"]))
        self.assertIn('app.py", line', body["stackTrace"][-1])
        self.assertIn("raise FunctionError", body["stackTrace"][-1])
        self.assertFalse(any("bootstrap.py" in s for s in body["stackTrace"]), body)
        self.assertIn("[ERROR] FunctionError: boom", self.fn.output())

    def test_marshal_error(self):
        fn = self.start_with_code({"app.py": """
            import datetime
            def handler(event, context):
                return {"when": datetime.datetime(2024, 1, 1)}
            """}, "app.handler")
        kind, body, _ = fn.invoke({})
        self.assertEqual((kind, body["errorType"]), ("error", "Runtime.MarshalError"))
        self.assertEqual(body["errorMessage"], "Unable to marshal response: Object of type datetime is not JSON serializable")

    def test_nested_handler_names_print_logging_and_client_context(self):
        files = {"pkg/__init__.py": "", "pkg/mod.py": """
            import logging
            logger = logging.getLogger()
            logger.setLevel(logging.INFO)
            def fn(event, context):
                print("printed line")
                logger.info("logged line")
                cc = context.client_context
                return {"custom": cc.custom if cc else None, "app_title": cc.client.app_title if cc else None,
                        "identity": context.identity.cognito_identity_id, "event": event,
                        "log_group": context.log_group_name, "log_stream": context.log_stream_name}
            """}
        for i, handler in enumerate(("pkg/mod.fn", "pkg.mod.fn")):
            fn = self.start_with_code(files, handler)
            kind, body, _ = fn.invoke([1, 2], request_id=f"req-{i}",
                                      client_context={"custom": {"k": "v"}, "client": {"app_title": "t"}},
                                      cognito_identity={"cognitoIdentityId": "id-1"})
            self.assertEqual(kind, "response", body)
            self.assertEqual(body, {"custom": {"k": "v"}, "app_title": "t", "identity": "id-1", "event": [1, 2],
                                    "log_group": "/aws/lambda/test-fn",
                                    "log_stream": "2024/01/01/[$LATEST]0123456789abcdef"})
            out = fn.output()
            self.assertIn("printed line", out)
            self.assertRegex(out, r"\[INFO\]\t\d{4}-\d\d-\d\dT[\d:.]+Z\treq-\S+\tlogged line")
            # no client context -> None, like Lambda
            _, body, _ = fn.invoke({})
            self.assertIsNone(body["custom"])

    def test_boto3_handler_imports_and_builds_a_client(self):
        fn = self.start_with_code({"app.py": """
            import boto3
            s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                              aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
            def handler(event, context):
                return {"endpoint": s3.meta.endpoint_url, "version": boto3.__version__}
            """}, "app.handler")
        kind, body, _ = fn.invoke({})
        self.assertEqual((kind, body["endpoint"]), ("response", "http://127.0.0.1:9"), fn.output())

    def test_none_result_and_unmarshalable_event(self):
        fn = self.start_with_code({"app.py": "def handler(e, c):\n    return None\n"}, "app.handler")
        request_id = fn.api.enqueue(None)
        self.assertEqual(fn.api.wait_result(request_id)["body"], b"null")
        request_id = fn.api.enqueue(None, raw_body=b"{not json")
        error = json.loads(fn.api.wait_result(request_id)["body"])
        self.assertEqual(error["errorType"], "Runtime.UnmarshalError")


class NativeRuntimeTest(RuntimeContract, unittest.TestCase):
    handler = "noop"

    def start(self):
        return Function([NOOP_BOOTSTRAP], self.handler, os.path.dirname(NOOP_BOOTSTRAP))

    def test_non_object_payloads_get_ok(self):
        for event in (None, [1], "text", 3):
            self.assertEqual(self.fn.invoke(event)[:2], ("response", {"ok": True}))

    def test_init_error_helper(self):
        fn = Function([NOOP_BOOTSTRAP], self.handler, os.path.dirname(NOOP_BOOTSTRAP),
                      extra_env={"FAASNET_NOOP_INIT_ERROR": "no config"})
        self.addCleanup(fn.close)
        self.assertEqual(fn.wait_exit(), 1, fn.output())
        error = fn.api.wait_init_error(timeout=1)
        self.assertEqual(error["body"], {"errorType": "Runtime.InitError", "errorMessage": "no config",
                                         "stackTrace": []})
        self.assertEqual(error["headers"].get("Lambda-Runtime-Function-Error-Type"), "Runtime.InitError")

    def test_missing_runtime_api_is_a_misconfiguration(self):
        proc = subprocess.run([NOOP_BOOTSTRAP], env={"PATH": "/usr/bin:/bin"}, capture_output=True, timeout=10)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"AWS_LAMBDA_RUNTIME_API is not set", proc.stderr)


class ColdStartTest(unittest.TestCase):
    """Times a runtime's cold start as the region sees it: from posix_spawn() to the first GET /next,
    and to the first response (an event is waiting). Measured with a single-threaded raw-socket Runtime
    API in this thread, because subprocess.Popen (~3 ms here) and a threaded HTTP server would each add
    more than the native bootstrap itself takes."""

    @staticmethod
    def read_request(conn, buf):
        """Reads one HTTP request from conn; returns (head, body, rest of buf)."""
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("runtime closed the connection")
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(buf) < length:
            buf += conn.recv(65536)
        return head, buf[:length], buf[length:]

    def measure(self, argv, handler, task_root, runs):
        to_next, to_response = [], []
        for _ in range(runs):
            listener = socket.create_server(("127.0.0.1", 0))
            env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % listener.getsockname()[1],
                   "_HANDLER": handler, "LAMBDA_TASK_ROOT": task_root, "AWS_LAMBDA_FUNCTION_NAME": "cold",
                   "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "PYTHONDONTWRITEBYTECODE": "1"}
            devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
            t0 = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, env, file_actions=devnull)
            try:
                listener.settimeout(20)
                conn, _ = listener.accept()
                head, _, buf = self.read_request(conn, b"")
                t_next = time.perf_counter()
                self.assertTrue(head.startswith(b"GET /2018-06-01/runtime/invocation/next "), head)
                deadline = int(time.time() * 1000) + 3000
                conn.sendall(b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: cold-1\r\n"
                             b"Lambda-Runtime-Deadline-Ms: %d\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 2\r\n\r\n{}" % deadline)
                head, body, _ = self.read_request(conn, buf)
                t_response = time.perf_counter()
                self.assertTrue(head.startswith(b"POST /2018-06-01/runtime/invocation/cold-1/response "), head)
                self.assertEqual(json.loads(body), {"ok": True})
                conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                to_next.append((t_next - t0) * 1000)
                to_response.append((t_response - t0) * 1000)
                conn.close()
            finally:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                listener.close()
        return statistics.median(to_next), statistics.median(to_response), max(to_response)

    def report(self, name, runs, figures):
        sys.stderr.write(f"\n  cold start, {name}, median of {runs}: spawn -> first GET /next {figures[0]:.2f} ms, "
                         f"-> first response {figures[1]:.2f} ms (max {figures[2]:.2f} ms)\n")

    def test_native_noop(self):
        figures = self.measure([NOOP_BOOTSTRAP], "noop", os.path.dirname(NOOP_BOOTSTRAP), 50)
        self.report("native noop", 50, figures)
        # The region's target is a whole cold invoke (sandbox set-up included) <= 15 ms; the bootstrap's
        # share measures ~1 ms here. The bound is loose so that a loaded CI machine does not fail it.
        self.assertLess(figures[1], 10)

    def test_python_echo(self):
        task_root = tempfile.mkdtemp(prefix="faasnet-task-")
        self.addCleanup(shutil.rmtree, task_root, True)
        shutil.copy(os.path.join(PYTHON_ECHO, "app.py"), task_root)
        figures = self.measure([PYTHON, PYTHON_BOOTSTRAP], "app.handler", task_root, 10)
        self.report("python3 echo", 10, figures)


if __name__ == "__main__":
    unittest.main(verbosity=2)
