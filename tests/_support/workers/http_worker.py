#!/usr/bin/env python3
"""Test worker for the shoal supervisor: serves HTTP on the socket it inherits as fd 3.

Endpoints: / (200 "ok"), /info (JSON of what the worker sees), /health (200, or 503 after
SIGUSR1 toggled it), /crash (abort: killed by SIGABRT), /orphans?n=N (double-forks N
grandchildren that exit at once, so they are re-parented to the supervisor).
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STATE = {"healthy": True, "hups": 0, "usr2": 0}


def listen_socket(args):
    if args.systemd:
        # sd_listen_fds(): the fds are ours only when LISTEN_PID is our pid.
        if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
            print(f"socket activation mismatch: pid={os.getpid()} LISTEN_PID={os.environ.get('LISTEN_PID')} "
                  f"LISTEN_FDS={os.environ.get('LISTEN_FDS')}", file=sys.stderr)
            sys.exit(3)
    return socket.socket(fileno=3)


def info():
    fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    env = os.environ
    return {
        "pid": os.getpid(), "ppid": os.getppid(), "argv": sys.argv,
        "listen_pid": env.get("LISTEN_PID"), "listen_fds": env.get("LISTEN_FDS"),
        "listen_fdnames": env.get("LISTEN_FDNAMES"), "shoal_port": env.get("SHOAL_PORT"),
        "shoal_addr": env.get("SHOAL_ADDR"), "shoal_listener_fd": env.get("SHOAL_LISTENER_FD"),
        "notify_socket": env.get("NOTIFY_SOCKET"), "fds_seen": fds,
        "sig_ign": status["SigIgn"].strip(), "hups": STATE["hups"], "usr2": STATE["usr2"],
    }


def make_orphans(n):
    # Every grandchild holds the pipe's write end until it exits, so reading EOF means all of them
    # have exited (and are zombies of PID 1 or already reaped) before the reply is sent.
    r, w = os.pipe()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            if os.fork() == 0:
                os._exit(0)  # grandchild: exits at once, its parent is gone or going
            os._exit(0)  # middle child
        os.waitpid(pid, 0)
    os.close(w)
    os.read(r, 1)
    os.close(r)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/info":
            return self.reply(200, json.dumps(info()))
        if url.path == "/health":
            return self.reply(200 if STATE["healthy"] else 503, "health")
        if url.path == "/crash":
            os.abort()
        if url.path == "/orphans":
            make_orphans(int(parse_qs(url.query).get("n", ["1"])[0]))
            return self.reply(200, "forked")
        return self.reply(200, "ok")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--systemd", action="store_true")
    p.add_argument("--notify", action="store_true")
    p.add_argument("--ignore-term", action="store_true")
    p.add_argument("--term-exit", type=int, default=0)
    p.add_argument("--exit", type=int)
    p.add_argument("--never-accept", action="store_true")
    p.add_argument("--port-arg")
    args = p.parse_args()
    if args.exit is not None:
        sys.exit(args.exit)
    sock = listen_socket(args)
    signal.signal(signal.SIGHUP, lambda *_: STATE.__setitem__("hups", STATE["hups"] + 1))
    signal.signal(signal.SIGUSR2, lambda *_: STATE.__setitem__("usr2", STATE["usr2"] + 1))
    signal.signal(signal.SIGUSR1, lambda *_: STATE.__setitem__("healthy", not STATE["healthy"]))
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(args.term_exit))
    if args.never_accept:
        while True:
            signal.pause()
    server = ThreadingHTTPServer(sock.getsockname()[:2], Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.daemon_threads = True
    if args.notify:
        threading.Thread(target=notify_ready, daemon=True).start()
    server.serve_forever(poll_interval=3600)


def notify_ready():
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.sendto(b"STATUS=serving\nREADY=1", os.environ["NOTIFY_SOCKET"])
    n.close()


if __name__ == "__main__":
    main()
