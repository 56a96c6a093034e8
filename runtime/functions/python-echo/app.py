"""python-echo: faasnet's Python test function (handler "app.handler"), the twin of the native noop.

It answers {"ok": true}; the event selects the same extra behaviour as runtime/functions/noop/main.cc,
applied in this order, all optional:
  {"alloc_mb": N}    allocate and touch N MiB, held until the invocation ends (cgroup OOM tests)
  {"cpu_ms": N}      burn N ms of process CPU time (CPU quota tests)
  {"sleep_ms": N}    sleep N ms of wall time (timeout tests)
  {"crash": true}    os.abort(): the process dies by SIGABRT (Runtime.ExitError)
  {"exit": N}        os._exit(N) (Runtime.ExitError)
  {"error": "msg"}   raise FunctionError("msg"): errorType "FunctionError"
  {"echo": X}        the response carries "echo": X
  {"hostinfo": true} the response carries /proc/self/cgroup, hostname, pid and the Lambda env vars
  {"context": true}  the response carries the context object's fields
Only the standard library, so it runs on any python3 the region uses.
"""
import os
import socket
import sys
import time


class FunctionError(Exception):
    pass


def handler(event, context):
    if not isinstance(event, dict):
        event = {}
    out = {"ok": True}
    block = None
    if event.get("alloc_mb"):
        block = b"\x01" * (int(event["alloc_mb"]) << 20)  # bytes * n writes every page: resident
        out["allocated_mb"] = int(event["alloc_mb"])
    if event.get("cpu_ms"):
        start = time.process_time()
        while (time.process_time() - start) * 1000 < event["cpu_ms"]:
            sum(range(1000))
        out["cpu_ms"] = (time.process_time() - start) * 1000
    if event.get("sleep_ms"):
        time.sleep(event["sleep_ms"] / 1000)
    if event.get("crash"):
        os.abort()
    if "exit" in event:
        sys.stdout.flush()
        os._exit(int(event["exit"]))
    if "error" in event:
        raise FunctionError(event["error"])
    if "echo" in event:
        out["echo"] = event["echo"]
    if event.get("hostinfo"):
        with open("/proc/self/cgroup") as f:
            cgroup = f.read()
        out["hostinfo"] = {
            "cgroup": cgroup, "hostname": socket.gethostname(), "pid": os.getpid(),
            "env": {k: os.environ.get(k) for k in (
                "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "_HANDLER", "AWS_REGION")},
        }
    if event.get("context"):
        out["context"] = {
            "aws_request_id": context.aws_request_id,
            "invoked_function_arn": context.invoked_function_arn,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_time_ms": context.get_remaining_time_in_millis(),
        }
    del block
    return out
