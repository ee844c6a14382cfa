#!/usr/bin/env python3
"""The two attacks of bench/conn/run.sh, on loopback only, bounded in count and time."""
import argparse, http.client, re, select, socket, statistics, threading, time, urllib.parse
from collections import Counter

HEAD = (b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n")
GIVE_UP = 120  # seconds: the run stops by itself whatever the server does


def proc(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def fds(pid):
    import os
    return len(os.listdir(f"/proc/{pid}/fd"))


def healthz_ms(port):
    t = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/healthz")
    status = c.getresponse().status
    c.close()
    return (time.monotonic() - t) * 1000, status


def stalled(a):
    socks, opened = [], time.monotonic()
    for i in range(a.count):
        s = socket.socket()
        s.bind((f"127.0.0.{2 + i % a.addrs}", 0))
        s.connect(("127.0.0.1", a.port))
        s.sendall(HEAD)
        socks.append(s)
    probes, peak_fds = [], fds(a.pid)
    answers, closed_at, pending = Counter(), [], {s.fileno(): s for s in socks}
    poller = select.poll()  # select() stops at fd 1024
    for fd in pending:
        poller.register(fd, select.POLLIN)
    while pending and time.monotonic() - opened < GIVE_UP:
        for fd, _ in poller.poll(500):
            s = pending[fd]
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                m = re.match(rb"HTTP/1.1 (\d+)", data)
                answers[m.group(1).decode() if m else "other"] += 1
                continue
            closed_at.append(time.monotonic() - opened)
            poller.unregister(fd)
            del pending[fd]
            s.close()
        peak_fds = max(peak_fds, fds(a.pid))
        if len(probes) < 20:
            probes.append(healthz_ms(a.port))
    for s in pending.values():
        s.close()
    ms = [p[0] for p in probes]
    print(f"stalled: {a.count} connections from {a.addrs} address(es): answers {dict(answers)}; "
          f"closed by the server {len(closed_at)}/{a.count}, last after {max(closed_at, default=0):.1f} s; "
          f"still open at the {GIVE_UP} s give-up: {len(pending)}; server fds peak {peak_fds}; "
          f"/healthz during the hold: {Counter(p[1] for p in probes)}, median {statistics.median(ms):.1f} ms, "
          f"max {max(ms):.1f} ms")


def login(a, i, results):
    src = (f"127.0.1.{1 + i % 250}", 0)
    try:
        c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=60, source_address=src)
        c.request("GET", "/staff/login")
        r = c.getresponse()
        page = r.read().decode()
        cookie = r.getheader("Set-Cookie", "").split(";")[0]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrf_token": csrf, "email": a.email, "password": a.password})
        c.request("POST", "/staff/login", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
            "Origin": f"http://127.0.0.1:{a.port}"})
        r = c.getresponse()
        r.read()
        results.append(r.status)
        c.close()
    except Exception as e:  # a refused or dropped connection is a result too
        results.append(type(e).__name__)


def logins(a):
    rss0, peak, threads = proc(a.pid, "VmRSS"), 0, 0
    results = []
    workers = [threading.Thread(target=login, args=(a, i, results)) for i in range(a.count)]
    t = time.monotonic()
    for w in workers:
        w.start()
    while any(w.is_alive() for w in workers) and time.monotonic() - t < GIVE_UP:
        peak, threads = max(peak, proc(a.pid, "VmRSS")), max(threads, proc(a.pid, "Threads"))
        time.sleep(0.02)
    for w in workers:
        w.join(timeout=1)
    took = time.monotonic() - t
    time.sleep(2)
    rss1 = proc(a.pid, "VmRSS")
    fives = sum(1 for r in results if isinstance(r, int) and r >= 500)
    print(f"logins: {a.count} at once in {took:.1f} s: answers {dict(Counter(results))}; "
          f"5xx {100 * fives / a.count:.0f} %; RSS {rss0 / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB "
          f"(+{(peak - rss0) / 1024:.1f}), {rss1 / 1024:.1f} MiB 2 s after; threads peak {threads}")


p = argparse.ArgumentParser()
p.add_argument("mode", choices=["stalled", "logins"])
p.add_argument("--port", type=int, required=True)
p.add_argument("--pid", type=int, required=True)
p.add_argument("--count", type=int, default=100)
p.add_argument("--addrs", type=int, default=1)
p.add_argument("--email")
p.add_argument("--password")
a = p.parse_args()
stalled(a) if a.mode == "stalled" else logins(a)
