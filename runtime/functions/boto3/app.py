"""boto3: the paper's workload (handler "app.handler", python3 runtime): S3 transfers through boto3's
get_object / put_object, so the CPU cost of a heavy Python client shows as it did in the paper.

Same events and response shape as the native probe (src/workload/event.h, response.h; the table is in
runtime/README.md and docs/formats/results.md, "Workload responses"), for the actions:
  {"action": "s3-get", "bucket": B, "keys": [K, ...], "endpoint"?: URL}
      get_object each key in turn, the body read in 1 MiB pieces and dropped (a 200 MB object needs
      no 200 MB of memory); t_first_byte_ms is when the first body piece arrived
  {"action": "s3-put", "bucket": B, "key": K, "bytes": N, "seed"?: S, "endpoint"?: URL}
      put_object of N bytes of text generated before the clock starts
  {"action": "s3-put", "bucket": B, "key": K, "fetch": true, "source_key": S, "endpoint"?: URL}
      get_object S first (untimed, as the paper did), then put_object its bytes
  {"action": "host-id"}   /proc/self/cgroup, the paper's host key, FAASNET_HOST_ID / FAASNET_SANDBOX_ID
  {"action": "noop", "sleep_ms"?: N}   the common fields only, after sleeping N ms
An event that cannot run raises InvalidEvent (a function error); a failed transfer answers
"ok": false with the error and its class.

The endpoint is the event's, else AWS_ENDPOINT_URL_S3 (else FAASNET_S3_ENDPOINT), passed to boto3
explicitly: Debian's boto3 1.26 does not read AWS_ENDPOINT_URL_S3 itself; with none, AWS's own. One client per endpoint
lives across warm invocations, as a client created at init would.
"""
import os
import random
import re
import resource
import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

READ_BYTES = 1 << 20
_clients = {}


class InvalidEvent(Exception):
    pass


def _string(event, action, name, required=True):
    value = event.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"event: {action}: \"{name}\" must be a non-empty string, not {value!r}"
                           if name in event else f"event: {action}: missing \"{name}\"")
    return value


def _check_fields(event, action, known):
    for name in event:
        if name != "action" and name not in known:
            raise InvalidEvent(f"event: {action}: unknown field \"{name}\" (takes: {', '.join(known) or 'nothing'})")


SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.I)
UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9, "t": 10**12,
         "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
MAX_PUT_BYTES = 4 << 30  # as the probe (workload::kMaxPutBytes): the body is held in memory


def _bytes(value):
    """A byte count: an integer or a size like "10MB" / "4MiB" (base/units.h's ParseBytes, in short)."""
    n = None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str) and SIZE.match(value):
        number, unit = SIZE.match(value).groups()
        unit = (unit or "").lower()
        if unit in UNITS and float(number) * UNITS[unit] == int(float(number) * UNITS[unit]):
            n = int(float(number) * UNITS[unit])
    if value is None:
        raise InvalidEvent("event: s3-put: missing \"bytes\" (or \"fetch\": true with \"source_key\")")
    if n is None or n <= 0 or n > MAX_PUT_BYTES:
        raise InvalidEvent(f"event: s3-put: \"bytes\" must be in [1, {MAX_PUT_BYTES}] (an integer or a size "
                           f"like \"10MB\"), not {value!r}")
    return n


def _s3(endpoint):
    """As workload::ResolveS3Endpoint: the event's, the environment's (path-style), else AWS's own."""
    endpoint = endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("FAASNET_S3_ENDPOINT") or None
    if endpoint not in _clients:
        style = {"addressing_style": "path"} if endpoint else {}
        _clients[endpoint] = boto3.client("s3", endpoint_url=endpoint,
                                          region_name=os.environ.get("AWS_REGION") or "us-east-1",
                                          config=Config(signature_version="s3v4", s3=style))
    return _clients[endpoint].meta.endpoint_url, _clients[endpoint]


def _generated(n, seed):
    """n bytes of review-like text: a 1 MiB block of words from a seeded PRNG, repeated."""
    rng = random.Random(seed)
    words = [b"good", b"taste", b"coffee", b"bought", b"great", b"price", b"flavor", b"would", b"again",
             b"not", b"the", b"and", b"this", b"product", b"dog", b"loves", b"tea", b"sweet", b"snack"]
    block = bytearray()
    while len(block) < min(n, READ_BYTES):
        block += rng.choice(words) + (b"\n" if rng.random() < 0.05 else b" ")
    block = bytes(block[:min(n, READ_BYTES)])
    return (block * (n // len(block) + 1))[:n]


def _read_netdev():
    try:
        with open("/proc/net/dev") as f:
            lines = f.read().splitlines()[2:]
    except OSError:
        return None
    rx = tx = 0
    for line in lines:
        name, _, counters = line.partition(":")
        fields = counters.split()
        if name.strip() == "lo" or len(fields) < 16:
            continue
        rx += int(fields[0])
        tx += int(fields[8])
    return rx, tx


def _cgroup_lines():
    try:
        with open("/proc/self/cgroup") as f:
            return [l for l in f.read().splitlines() if l.strip()]
    except OSError:
        return []


def paper_host_key(lines):
    """As workload::PaperHostKey: the "sandbox-root" segment, else the parent of the deepest path."""
    paths = [l.split(":", 2)[2] if l.count(":") >= 2 else "" for l in lines]
    for p in paths:
        for seg in p.split("/"):
            if seg.startswith("sandbox-root"):
                return seg
    segs = max(([s for s in p.split("/") if s] for p in paths), key=len, default=[])
    return "/" + "/".join(segs[:-1]) if len(segs) >= 2 else None


def _error_class(exc):
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status == 404:
            return "not_found"
        if status in (401, 403):
            return "auth"
        if status in (429, 503):
            return "throttled"
        return "server_error" if status >= 500 else "client_error"
    return "connection"


def _get(s3, bucket, key, t0, objects):
    """get_object, body read and dropped; appends the object's timings; returns its bytes."""
    o = {"key": key, "bytes": 0, "t_start_ms": (time.monotonic() - t0) * 1000}
    objects.append(o)
    resp = s3.get_object(Bucket=bucket, Key=key)
    o["http_status"] = resp["ResponseMetadata"]["HTTPStatusCode"]
    body, n, first = resp["Body"], 0, None
    while True:
        piece = body.read(READ_BYTES)
        if first is None:
            first = time.monotonic()
        if not piece:
            break
        n += len(piece)
    end = time.monotonic()
    o.update(bytes=n, t_first_byte_ms=(first - t0) * 1000, t_last_byte_ms=(end - t0) * 1000)
    return n


def handler(event, context):
    t0 = time.monotonic()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    net0 = _read_netdev()
    if event is None or event == {}:
        event = {"action": "noop"}
    if not isinstance(event, dict) or not isinstance(event.get("action"), str):
        raise InvalidEvent("event: must be a JSON object with \"action\" (one of \"s3-get\", \"s3-put\", "
                           "\"host-id\", \"noop\")")
    action = event["action"]
    lines = _cgroup_lines()
    out = {"action": action, "ok": True, "error": "", "bytes": 0, "elapsed_ms": 0.0,
           "ids": {"host_id": os.environ.get("FAASNET_HOST_ID"), "sandbox_id": os.environ.get("FAASNET_SANDBOX_ID"),
                   "cgroup": lines[0] if lines else ""}}

    if action in ("s3-get", "s3-put"):
        if action == "s3-get":
            _check_fields(event, action, ["bucket", "keys", "endpoint"])
            keys = event.get("keys")
            if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
                raise InvalidEvent("event: s3-get: \"keys\" must be a list of 1 or more non-empty strings")
        else:
            _check_fields(event, action, ["bucket", "key", "bytes", "seed", "fetch", "source_key", "endpoint"])
            key = _string(event, action, "key")
            fetch = event.get("fetch", False)
            if fetch is True:
                source = _string(event, action, "source_key")
                if "seed" in event:
                    raise InvalidEvent("event: s3-put: with \"fetch\": true the body is the source object: drop \"seed\"")
                if "bytes" in event:
                    _bytes(event["bytes"])  # checked, not used: the source's size is what goes up
            else:
                n = _bytes(event.get("bytes"))
        bucket = _string(event, action, "bucket")
        endpoint, s3 = _s3(_string(event, action, "endpoint", required=False))
        out.update(bucket=bucket, endpoint=endpoint, objects=[])
        op = ""  # what failed, for the message: "GetObject bucket/key" as the native client says
        try:
            if action == "s3-get":
                for k in keys:
                    op = f"GetObject {bucket}/{k}"
                    out["bytes"] += _get(s3, bucket, k, t0, out["objects"])
            else:
                if fetch is True:  # untimed: the body is held, it is what gets uploaded
                    op = f"GetObject {bucket}/{source}"
                    out["fetched"] = {"key": source, "t_start_ms": (time.monotonic() - t0) * 1000}
                    data = s3.get_object(Bucket=bucket, Key=source)["Body"].read()
                    out["fetched"].update(bytes=len(data), t_last_byte_ms=(time.monotonic() - t0) * 1000)
                else:
                    data = _generated(n, event.get("seed", 1))
                op = f"PutObject {bucket}/{key}"
                ru0, net0 = resource.getrusage(resource.RUSAGE_SELF), _read_netdev()  # the upload only
                o = {"key": key, "bytes": 0, "t_start_ms": (time.monotonic() - t0) * 1000}
                out["objects"].append(o)
                resp = s3.put_object(Bucket=bucket, Key=key, Body=data)
                end = (time.monotonic() - t0) * 1000
                # boto3 gives no hook between the body's last byte and the response: both are `end`.
                o.update(bytes=len(data), t_first_byte_ms=end, t_last_byte_ms=end,
                         http_status=resp["ResponseMetadata"]["HTTPStatusCode"])
                out["bytes"] = len(data)
        except (ClientError, BotoCoreError) as exc:
            out.update(ok=False, error=f"{op}: {exc}", error_class=_error_class(exc))
            failed_at = (time.monotonic() - t0) * 1000
            if out["objects"]:
                out["objects"][-1].setdefault("t_first_byte_ms", failed_at)
                out["objects"][-1].setdefault("t_last_byte_ms", failed_at)
        done = [o for o in out["objects"] if "t_last_byte_ms" in o]
        if done:
            out["elapsed_ms"] = done[-1]["t_last_byte_ms"] - out["objects"][0]["t_start_ms"]
    elif action == "host-id":
        _check_fields(event, action, [])
        out.update(cgroup_lines=lines, paper_host_key=paper_host_key(lines))
    elif action == "noop":
        _check_fields(event, action, ["sleep_ms"])
        sleep_ms = event.get("sleep_ms", 0)
        if not isinstance(sleep_ms, int) or isinstance(sleep_ms, bool) or not 0 <= sleep_ms <= 900_000:
            raise InvalidEvent(f"event: noop: \"sleep_ms\" must be an integer in [0, 900000], not {sleep_ms!r}")
        time.sleep(sleep_ms / 1000)
    else:
        raise InvalidEvent(f"event: unknown action \"{action}\" (the boto3 workload runs \"s3-get\", \"s3-put\", "
                           "\"host-id\", \"noop\"; iperf is the native probe's)")

    out["mb_per_s"] = out["bytes"] / out["elapsed_ms"] * 1000 / 1e6 if out["elapsed_ms"] > 0 else 0.0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu"] = {"user_ms": (ru1.ru_utime - ru0.ru_utime) * 1000, "system_ms": (ru1.ru_stime - ru0.ru_stime) * 1000}
    net1 = _read_netdev()
    out["netdev"] = ({"rx_bytes": net1[0] - net0[0], "tx_bytes": net1[1] - net0[1]}
                     if net0 is not None and net1 is not None else None)
    return out


# The S3 client is made during init, as Lambda handlers usually do, so that a
# warm invocation times the transfer, not boto3's client construction.
try:
    _s3(None)
except Exception:  # noqa: BLE001 - a bad environment shows on the first S3 action instead
    pass
