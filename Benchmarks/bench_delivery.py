#!/usr/bin/env python3
"""Helpers for scripts/bench-delivery (loopback only, bounded).

  wait-drained --db PATH --pid PID --since-ns T --timeout S
      Polls the store read-only until no delivery is pending or retrying (an EXISTS on the status index: O(log n),
      cheap enough to run every 50 ms). Samples the serve process's VmRSS every second. Prints key=value lines.

  latency --port P --target URL --rate R --seconds S
      A sink on 127.0.0.1:P that answers 200 and records arrival - send time for each delivery, and a fixed-rate
      sender posting R events/s for S seconds to URL (hookrelay's /hooks/<source>), each body stamped with its send
      time. Sender and sink share one process and one monotonic clock. Prints key=value lines.
"""
import argparse
import asyncio
import re
import sqlite3
import sys
import time


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def wait_drained(args):
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, timeout=5)
    pending_sql = "SELECT EXISTS(SELECT 1 FROM deliveries WHERE status IN ('pending', 'retrying'))"
    delivered_sql = "SELECT EXISTS(SELECT 1 FROM deliveries WHERE status = 'delivered')"
    since = args.since_ns / 1e9
    deadline = time.time() + args.timeout
    first = None
    samples = []
    next_sample = time.time()
    while True:
        now = time.time()
        if now >= next_sample:
            kb = rss_kb(args.pid)
            if kb is None:
                print("drained=0\nerror=serve exited")
                return 1
            samples.append((now - since, kb))
            next_sample += 1.0
        if first is None and db.execute(delivered_sql).fetchone()[0]:
            first = time.time() - since
        if not db.execute(pending_sql).fetchone()[0]:
            elapsed = time.time() - since
            break
        if now > deadline:
            print(f"drained=0\nerror=timeout after {args.timeout} s")
            return 1
        time.sleep(args.interval)
    print("drained=1")
    print(f"elapsed_s={elapsed:.3f}")
    print(f"first_delivery_s={(first if first is not None else elapsed):.3f}")
    if samples:
        # Ten evenly spaced samples over the run show whether memory stays flat.
        step = max(1, len(samples) // 10)
        shown = samples[::step]
        if shown[-1] is not samples[-1]:
            shown.append(samples[-1])
        print("rss_mb_over_time=" + " ".join(f"{t:.0f}s:{kb / 1024:.0f}" for t, kb in shown))
        print(f"rss_mb_max_sampled={max(kb for _, kb in samples) / 1024:.1f}")
    return 0


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


class Sink(asyncio.Protocol):
    """HTTP/1.1 with Content-Length bodies (what libcurl sends); answers 200 to every request."""
    stamp = re.compile(rb'"seq":(\d+),"sent_ns":(\d+)')
    arrivals = {}
    duplicates = 0

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        now = time.perf_counter_ns()
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            match = re.search(rb"\r\ncontent-length:\s*(\d+)", head)
            length = int(match.group(1)) if match else 0
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4:head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length:]
            found = Sink.stamp.search(body)
            if found:
                seq, sent = int(found.group(1)), int(found.group(2))
                if seq in Sink.arrivals:
                    Sink.duplicates += 1
                else:
                    Sink.arrivals[seq] = now - sent
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")


async def post(reader, writer, host, path, body):
    writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " + host.encode()
                 + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    match = re.search(rb"\r\n[Cc]ontent-[Ll]ength:\s*(\d+)", head)
    if match:
        await reader.readexactly(int(match.group(1)))
    return status


async def latency(args):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, "127.0.0.1", args.port, reuse_address=True)
    host_port, path = args.target.split("://", 1)[1].split("/", 1)
    host, port = host_port.split(":")
    path = "/" + path
    total = int(args.rate * args.seconds)
    idle = asyncio.Queue()
    for _ in range(args.connections):
        idle.put_nowait(await asyncio.open_connection(host, int(port)))
    acks = []
    statuses = {}
    late = 0
    pad = "x" * 150

    async def send(seq, connection):
        reader, writer = connection
        sent = time.perf_counter_ns()
        body = f'{{"seq":{seq},"sent_ns":{sent},"type":"latency.probe","pad":"{pad}"}}'.encode()
        status = await post(reader, writer, host, path, body)
        acks.append(time.perf_counter_ns() - sent)
        statuses[status] = statuses.get(status, 0) + 1
        idle.put_nowait(connection)

    start = time.perf_counter()
    tasks = []
    for seq in range(total):
        target = start + seq / args.rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.002:
            late += 1
        if idle.empty():
            idle.put_nowait(await asyncio.open_connection(host, int(port)))  # all busy: one more connection
        tasks.append(asyncio.create_task(send(seq, await idle.get())))
    await asyncio.gather(*tasks)
    send_seconds = time.perf_counter() - start
    deadline = time.perf_counter() + 15
    while len(Sink.arrivals) < statuses.get(200, 0) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    server.close()
    e2e = sorted(v / 1e6 for v in Sink.arrivals.values())
    ack = sorted(v / 1e6 for v in acks)
    print(f"sent={total}")
    print(f"achieved_rate={total / send_seconds:.1f}")
    print(f"late_sends={late}")
    print("statuses=" + ",".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
    print(f"delivered={len(Sink.arrivals)}")
    print(f"duplicates={Sink.duplicates}")
    for name, values in (("e2e", e2e), ("ack", ack)):
        for p in (50, 95, 99):
            print(f"{name}_p{p}_ms={percentile(values, p):.2f}")
        print(f"{name}_max_ms={(values[-1] if values else float('nan')):.2f}")
    return 0 if len(Sink.arrivals) == total else 1


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    drained = commands.add_parser("wait-drained")
    drained.add_argument("--db", required=True)
    drained.add_argument("--pid", type=int, required=True)
    drained.add_argument("--since-ns", type=int, required=True)
    drained.add_argument("--timeout", type=float, default=600)
    drained.add_argument("--interval", type=float, default=0.05)
    lat = commands.add_parser("latency")
    lat.add_argument("--port", type=int, required=True)
    lat.add_argument("--target", required=True)
    lat.add_argument("--rate", type=float, default=200)
    lat.add_argument("--seconds", type=float, default=20)
    lat.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if args.command == "wait-drained":
        return wait_drained(args)
    return asyncio.run(latency(args))


if __name__ == "__main__":
    sys.exit(main())
