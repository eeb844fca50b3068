#!/usr/bin/env python3
"""A sample shoal worker: an HTTP server on the listening socket it inherits as fd 3.

`shoal task` binds the port, starts this program with the socket as fd 3 (and SHOAL_LISTENER_FD=3,
SHOAL_PORT, SHOAL_ADDR), waits until GET /healthz answers, and only then announces the task to
HAProxy. On SIGTERM the server stops accepting, finishes the requests in flight and exits 0.

Routes:
  GET /         which task answered (JSON: task, host, pid, addr, port, path)
  GET /healthz  200 "ok" while serving
"""

import http.server
import json
import os
import signal
import socket
import sys
import threading
import urllib.request

LISTENER_FD = int(os.environ.get("SHOAL_LISTENER_FD", "3"))


def task_id():
    """A name for this task: TASK_ID, else the ECS task ARN's id, else the hostname."""
    if os.environ.get("TASK_ID"):
        return os.environ["TASK_ID"]
    metadata = os.environ.get("ECS_CONTAINER_METADATA_URI_V4")
    if metadata:
        try:
            with urllib.request.urlopen(metadata + "/task", timeout=2) as reply:
                return json.load(reply)["TaskARN"].rsplit("/", 1)[-1]
        except (OSError, ValueError, KeyError):
            pass
    return socket.gethostname()


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so no idle keep-alive connection (HAProxy reuses
    # them) holds the graceful stop open. A slow client is cut off after `timeout` seconds.
    protocol_version = "HTTP/1.0"
    server_version = "shoal-example"
    timeout = 10

    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200, "text/plain; charset=utf-8", b"ok\n")
            return
        info = {
            "task": self.server.task,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "addr": os.environ.get("SHOAL_ADDR"),
            "port": os.environ.get("SHOAL_PORT"),
            "path": self.path,
        }
        self.reply(200, "application/json", (json.dumps(info) + "\n").encode())

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


class InheritedServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server on an already bound and listening socket."""

    daemon_threads = False  # server_close() waits for requests in flight
    block_on_close = True

    def __init__(self, sock, task):
        self.address_family = sock.family
        super().__init__(sock.getsockname()[:2], Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        host, port = sock.getsockname()[:2]
        self.server_name, self.server_port = host, port
        self.task = task


def inherited_socket(fd):
    try:
        sock = socket.socket(fileno=fd)
    except OSError as err:
        sys.exit("server.py: fd %d is not a socket (%s); run me under `shoal task`" % (fd, err))
    if sock.type != socket.SOCK_STREAM or sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) != 1:
        sys.exit("server.py: fd %d is not a listening TCP socket" % fd)
    return sock


def main():
    server = InheritedServer(inherited_socket(LISTENER_FD), task_id())

    def stop(signum, _frame):
        sys.stderr.write("server.py: signal %d, finishing requests in flight\n" % signum)
        # shutdown() waits for serve_forever() to return, so it cannot run in this handler,
        # which interrupts serve_forever() on the main thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.socket.getsockname()[:2]
    sys.stderr.write("server.py: task %s serving on %s:%d (fd %d)\n" % (server.task, host, port, LISTENER_FD))
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    sys.stderr.write("server.py: stopped\n")


if __name__ == "__main__":
    main()
