"""A fake Lambda Runtime API (2018-06-01) for testing runtimes without the region.

The test queues events with enqueue(); a runtime long-polls GET /invocation/next and gets them one at a
time with Lambda's headers; its POSTs to /invocation/{id}/response, /invocation/{id}/error and
/init/error are recorded and answered 202 (or 400 for an unknown request id, as Lambda does). Listens
on 127.0.0.1, port 0; HTTP/1.1 keep-alive like the real API. stop() closes the listening socket and
drops the connections of runtimes waiting in /next, as a platform that died would.
"""
import json
import queue
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class FakeRuntimeApi:
    def __init__(self):
        self.events = queue.Queue()
        self.results = {}          # request id -> {"kind": "response"|"error", "body", "headers", "time"}
        self.init_errors = []      # [{"body": parsed JSON, "headers": {...}}]
        self.next_times = []       # time.perf_counter() of each GET /next as it arrived
        self.pending = set()       # ids handed out and not answered yet
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.close_after_post = False  # close each connection after answering a POST (no "Connection: close")
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self.reply(404)
                with api.cond:
                    api.next_times.append(time.perf_counter())
                    api.cond.notify_all()
                while True:  # long poll, waking up to notice stop()
                    if api.stopping.is_set():
                        self.close_connection = True
                        return  # no reply: the connection drops, as when the platform dies
                    try:
                        event = api.events.get(timeout=0.05)
                        break
                    except queue.Empty:
                        pass
                with api.cond:
                    api.pending.add(event["id"])
                self.reply(200, event["body"], event["headers"])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k: v for k, v in self.headers.items()}
                parts = self.path[len(PREFIX):].strip("/").split("/")
                with api.cond:
                    if parts == ["init", "error"]:
                        api.init_errors.append({"body": json.loads(body), "headers": headers})
                    elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                        if parts[1] not in api.pending:
                            return self.reply(400, b'{"errorType":"InvalidRequestID"}')
                        api.pending.discard(parts[1])
                        api.results[parts[1]] = {"kind": parts[2], "body": body, "headers": headers,
                                                 "time": time.perf_counter()}
                    else:
                        return self.reply(404)
                    api.cond.notify_all()
                self.reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
                self.close_connection = api.close_after_post

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)  # a killed runtime is no news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = "127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True
        self.thread.start()

    def enqueue(self, event, request_id=None, deadline_ms=None, timeout_s=3.0, arn=None, client_context=None,
                cognito_identity=None, trace_id=None, raw_body=None, content_type="application/json"):
        """Queues an event (a JSON value, or raw_body bytes); returns its request id."""
        request_id = request_id or str(uuid.uuid4())
        if deadline_ms is None:
            deadline_ms = int(time.time() * 1000 + timeout_s * 1000)
        headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn":
                arn or "arn:aws:lambda:us-east-1:000000000000:function:test-fn",
            "Lambda-Runtime-Trace-Id": trace_id or "Root=1-00000000-000000000000000000000000;Sampled=0",
            "Content-Type": content_type,
        }
        if client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = json.dumps(client_context)
        if cognito_identity is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(cognito_identity)
        body = raw_body if raw_body is not None else json.dumps(event).encode()
        self.events.put({"id": request_id, "body": body, "headers": headers})
        return request_id

    def wait_result(self, request_id, timeout=10.0):
        """The recorded response or error for request_id; None after `timeout` seconds."""
        with self.cond:
            self.cond.wait_for(lambda: request_id in self.results, timeout)
            return self.results.get(request_id)

    def wait_init_error(self, timeout=10.0):
        with self.cond:
            self.cond.wait_for(lambda: self.init_errors, timeout)
            return self.init_errors[0] if self.init_errors else None

    def wait_next(self, count=1, timeout=10.0):
        """The arrival time of the count-th GET /next; None after `timeout` seconds."""
        with self.cond:
            self.cond.wait_for(lambda: len(self.next_times) >= count, timeout)
            return self.next_times[count - 1] if len(self.next_times) >= count else None

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
