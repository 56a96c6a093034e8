"""faasnet's `python3` runtime: runs an unmodified Lambda handler `module.function(event, context)`.

The region starts `python3 bootstrap.py` inside a sandbox with the environment Lambda sets
(AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, ...). This file then
speaks the Lambda Runtime API (2018-06-01) the way Lambda's own Python runtime (awslambdaric) does:
  - the handler "app.handler", "pkg/mod.fn" or "pkg.mod.fn" is imported from LAMBDA_TASK_ROOT;
  - import failures are posted to /runtime/init/error as Runtime.ImportModuleError,
    Runtime.UserCodeSyntaxError, Runtime.HandlerNotFound (or the exception's class name when module
    code raises something else), and the process exits with 1;
  - each event is passed to the handler with a context object; the JSON result goes to /response, an
    exception to /error as {errorMessage, errorType, requestId, stackTrace}, and the loop goes on;
  - stdout/stderr are unbuffered, so the platform captures a function's output even if it is killed.
Only the standard library is used, so Debian's /usr/bin/python3 runs it with what it has (boto3).
Exit codes: 1 init error (posted), 2 no AWS_LAMBDA_RUNTIME_API, 3 the Runtime API went away.
"""
import http.client
import importlib
import io
import json
import logging
import os
import sys
import time
import traceback
from types import SimpleNamespace

API_GONE_AFTER_S = 2.0  # the Runtime API may be unreachable this long before the runtime gives up
RETRY_INTERVAL_S = 0.01


class Fault(Exception):
    """An error the runtime reports with a Lambda `Runtime.*` type rather than a class name."""

    def __init__(self, error_type, message, stack_trace=None):
        super().__init__(message)
        self.error_type, self.message, self.stack_trace = error_type, message, stack_trace or []


def error_document(error_type, message, stack_trace, request_id=None):
    doc = {"errorMessage": message, "errorType": error_type, "stackTrace": stack_trace}
    if request_id is not None:
        doc["requestId"] = request_id
    return doc


def exception_document(exc, request_id=None):
    """Lambda's shape for an exception: class name, str(), and the user's frames (ours cut off)."""
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and (frames[0].filename == __file__ or "importlib" in frames[0].filename):
        frames.pop(0)
    return error_document(type(exc).__name__, str(exc), traceback.format_list(frames), request_id)


def log_error(doc):
    # Lambda logs a failed invocation as "[ERROR] Type: message" followed by the traceback.
    lines = [f"[ERROR] {doc['errorType']}: {doc['errorMessage']}"]
    if doc["stackTrace"]:
        lines += ["Traceback (most recent call last):"] + [s.rstrip("\n") for s in doc["stackTrace"]]
    sys.stdout.write("\n".join(lines) + "\n")


class RuntimeApi:
    """One keep-alive HTTP/1.1 connection to the Runtime API; reconnects after a failure."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.conn = http.client.HTTPConnection(host.strip("[]"), int(port))

    def request(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, "/2018-06-01/runtime" + path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.headers, response.read()
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()  # the next request opens a new connection
                # A kept-alive connection the server had closed: try once more on a new one.
                stale = isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError))
                if not (stale and reused and attempt == 1):
                    raise

    def next_invocation(self):
        """Long-polls for the next event; exits the process once the API has been gone too long."""
        first_failure = None
        while True:
            try:
                status, headers, body = self.request("GET", "/invocation/next")
                if status == 200:
                    return headers, body
                problem = f"HTTP {status} {body[:200]!r}"
            except (OSError, http.client.HTTPException) as e:
                problem = repr(e)
            now = time.monotonic()
            first_failure = first_failure or now
            if now - first_failure >= API_GONE_AFTER_S:
                sys.stderr.write(f"faasnet-runtime: GET /invocation/next failing for {API_GONE_AFTER_S}s "
                                 f"({problem}); exiting\n")
                sys.exit(3)
            time.sleep(RETRY_INTERVAL_S)

    def post(self, path, body, headers):
        """POSTs a result; a failure is logged, and the following /next decides whether to go on."""
        try:
            status, _, reply = self.request("POST", path, body, headers)
            if status != 202:
                sys.stderr.write(f"faasnet-runtime: POST {path}: HTTP {status} {reply[:200]!r}\n")
        except (OSError, http.client.HTTPException) as e:
            sys.stderr.write(f"faasnet-runtime: POST {path}: {e!r}\n")

    def post_error(self, path, doc):
        self.post(path, json.dumps(doc).encode(), {"Content-Type": "application/json",
                                                   "Lambda-Runtime-Function-Error-Type": doc["errorType"]})


def load_handler(spec):
    """Imports the handler named by _HANDLER; raises Fault with Lambda's error type on failure."""
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {e}")
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault("Runtime.BuiltInModuleConflict", f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}")
    except SyntaxError as e:
        text = (e.text or "").rstrip("\n")
        raise Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}",
                    [f'  File "{e.filename}" Line {e.lineno}\n    {text}'])
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")


class LambdaContext:
    """The handler's second argument, with the attributes and method Lambda's Python context has."""

    def __init__(self, headers):
        env = os.environ.get
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.function_name = env("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env("AWS_LAMBDA_FUNCTION_VERSION")
        memory = env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.memory_limit_in_mb = int(memory) if memory.isdigit() else None
        self.log_group_name = env("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        client_context = parse_json_header(headers, "Lambda-Runtime-Client-Context")
        self.client_context = None
        if client_context is not None:
            client = client_context.get("client")
            self.client_context = SimpleNamespace(
                custom=client_context.get("custom"), env=client_context.get("env"),
                client=None if client is None else SimpleNamespace(**{k: client.get(k) for k in (
                    "installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")}))
        identity = parse_json_header(headers, "Lambda-Runtime-Cognito-Identity") or {}
        self.identity = SimpleNamespace(cognito_identity_id=identity.get("cognitoIdentityId"),
                                        cognito_identity_pool_id=identity.get("cognitoIdentityPoolId"))

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message):
        sys.stdout.write(str(message))


def parse_json_header(headers, name):
    value = headers.get(name)
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as e:
        raise Fault("Runtime.LambdaContextUnmarshalError", f"Unable to parse {name} JSON: {e}")


def to_json(result):
    """The handler's result as a response body; Decimal (DynamoDB) is written as a number, as on Lambda."""
    def number(value):
        if type(value).__name__ == "Decimal":
            return int(value) if value == value.to_integral_value() else float(value)
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    if isinstance(result, (bytes, bytearray)):
        return bytes(result), "application/unknown"
    try:
        return json.dumps(result, default=number).encode(), "application/json"
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {e}")


def handle(api, handler, headers, body):
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
    os.environ.pop("_X_AMZN_TRACE_ID", None)
    if headers.get("Lambda-Runtime-Trace-Id"):
        os.environ["_X_AMZN_TRACE_ID"] = headers["Lambda-Runtime-Trace-Id"]
    logging_filter.request_id = request_id
    try:
        context = LambdaContext(headers)
        content_type = headers.get("Content-Type") or "application/json"
        try:
            event = json.loads(body) if content_type.startswith("application/json") else body
        except ValueError as e:
            raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}")
        payload, result_type = to_json(handler(event, context))
    except Fault as f:
        doc = error_document(f.error_type, f.message, f.stack_trace, request_id)
    except Exception as e:  # SystemExit and KeyboardInterrupt end the process, as on Lambda
        doc = exception_document(e, request_id)
    else:
        api.post(f"/invocation/{request_id}/response", payload, {"Content-Type": result_type})
        return
    log_error(doc)
    api.post_error(f"/invocation/{request_id}/error", doc)


class RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = self.request_id or ""
        return True


logging_filter = RequestIdFilter()


def setup_output():
    # Unbuffered, as `python3 -u`: output written before a crash or a kill still reaches the platform.
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        raw = io.FileIO(stream.fileno(), "w", closefd=False)
        setattr(sys, name, io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", write_through=True))
    # Lambda's root-logger handler, so logging.getLogger().info(...) shows up when a handler sets the level.
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(logging_filter)
    logging.getLogger().addHandler(handler)


def main():
    setup_output()
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("faasnet-runtime: AWS_LAMBDA_RUNTIME_API is not set\n")
        return 2
    api = RuntimeApi(address)
    # User modules come from the task root, never from this script's own folder.
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)
    sys.path.insert(0, task_root)
    try:
        os.chdir(task_root)  # Lambda runs a function with its code directory as the working directory
    except OSError:
        pass
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Fault as f:
        doc = error_document(f.error_type, f.message, f.stack_trace)
    except Exception as e:  # module code raised: reported under the exception's own class name
        doc = exception_document(e)
    else:
        doc = None
    if doc is not None:
        log_error(doc)
        api.post_error("/init/error", doc)
        return 1
    while True:
        handle(api, handler, *api.next_invocation())


if __name__ == "__main__":
    sys.exit(main())
