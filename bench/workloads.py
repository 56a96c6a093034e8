#!/usr/bin/env python3
"""bench/workloads.py: the native probe vs the boto3 workload moving one object through the region's
store: download (s3-get) and upload (s3-put, generated data) MB/s and the CPU each spends.

A benchmark, not a test: it prints figures and exits 0; it fails only when the set-up is broken.

  bench/workloads.py [--build build] [--isolation none|full] [--size-mb 100] [--memory 1024 ...] [--reps 3]

It starts `faasnet region up` (tests/clients/regionfixture.py: a temp work dir under /var/tmp, its own
region name, loopback ports 0), puts one object of --size-mb MB (10^6 bytes, random) in its store,
creates `probe` (build/functions/probe/bootstrap) and `boto3` (runtime/functions/boto3/app.py) at each
--memory size, warms each with a noop, then runs --reps s3-get and s3-put of that size on each and
prints the medians:
  MB/s           the workload's own mb_per_s (bytes / (last byte - request start), inside the function)
  cpu_ms         the function process's user + system CPU during the handler (getrusage)
  cpu_s_per_GB   cpu_ms per GB moved
With --isolation full (root) each sandbox has its memory's CPU quota (the paper's 2 x mem / 3008 of a
2-vCPU host), which is what ties boto3's bandwidth to memory in the paper; with none there is no quota.
"""
import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = "arn:aws:iam::000000000000:role/faasnet-bench"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--isolation", default="none", choices=["none", "full"])
    p.add_argument("--size-mb", type=int, default=100)
    p.add_argument("--memory", type=int, nargs="+", default=[1024])
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    os.environ.setdefault("FAASNET_BIN", os.path.join(a.build, "faasnet"))
    os.environ.setdefault("FAASNET_SOURCE_DIR", os.path.join(HERE, ".."))
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "clients"))
    from regionfixture import PROBE, RegionServer, native_zip, python_zip

    host_mb = max(3840, 2 * sum(a.memory))  # every function stays warm: room for all of them
    region = RegionServer(a.isolation, f"hosts: {{count: 1, vcpus: 2, memory: {host_mb}}}\nidle_timeout: 5m\n")
    region.start()
    try:
        s3 = region.s3_client()
        s3.create_bucket(Bucket="bench")
        size = a.size_mb * 1_000_000
        s3.put_object(Bucket="bench", Key="object", Body=os.urandom(size))
        lam = region.lambda_client()
        code = {"probe": ("provided.al2023", "unused", native_zip(PROBE)),
                "boto3": ("python3.11", "app.handler", python_zip("runtime/functions/boto3/app.py"))}

        def invoke(fn, event):
            r = lam.invoke(FunctionName=fn, Payload=json.dumps(event).encode())
            body = json.loads(r["Payload"].read())
            if "FunctionError" in r or not body.get("ok"):
                raise SystemExit(f"{fn} {event['action']}: {body}")
            return body

        print(f"object {a.size_mb} MB, isolation {a.isolation}, {a.reps} reps, medians")
        print(f"{'workload':8} {'memory_mb':>9} {'action':7} {'MB/s':>8} {'elapsed_ms':>10} {'cpu_ms':>8} "
              f"{'cpu_s_per_GB':>12}")
        for mem in a.memory:
            for workload, (runtime, handler, zipped) in code.items():
                fn = f"{workload}-{mem}"
                lam.create_function(FunctionName=fn, Runtime=runtime, Role=ROLE, Handler=handler,
                                    Code={"ZipFile": zipped}, MemorySize=mem, Timeout=300)
                invoke(fn, {"action": "noop"})
                for action, event in (("s3-get", {"action": "s3-get", "bucket": "bench", "keys": ["object"]}),
                                      ("s3-put", {"action": "s3-put", "bucket": "bench", "key": f"out/{fn}",
                                                  "bytes": size})):
                    rows = [invoke(fn, event) for _ in range(a.reps)]
                    mbps = statistics.median(r["mb_per_s"] for r in rows)
                    ms = statistics.median(r["elapsed_ms"] for r in rows)
                    cpu = statistics.median(r["cpu"]["user_ms"] + r["cpu"]["system_ms"] for r in rows)
                    print(f"{workload:8} {mem:9d} {action:7} {mbps:8.1f} {ms:10.1f} {cpu:8.1f} "
                          f"{cpu / 1000 / (size / 1e9):12.2f}", flush=True)
    finally:
        region.cleanup()


if __name__ == "__main__":
    main()
