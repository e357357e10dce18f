"""The pyvider-rpcplugin side of bench/pyvider.mjs: a host on pyvider's RPCPluginClient driving a
KV plugin (go-plugin's examples/grpc service): cold starts (spawn → first Put answered), unary Put
throughput and CPU per call at several concurrencies, and the plugin's idle RSS. One JSON object on
stdout. pyvider reads its configuration from the environment at import (set by the caller).
Every client ends with shutdown_plugin() (Controller.Shutdown) before close(): pyvider's close()
alone, after a call, leaves the plugin running (go-plugin's own Go example plugins too) and then
hangs this process at exit on the thread relaying the plugin's stderr.

  bench_host.py <params JSON> <plugin command...>
  params: {"cold": N, "seconds": S, "conc": [1, 16, 64], "size": 100, "coldOnly": false}
  (coldOnly: the cold starts alone, so that a caller can alternate them with other pairings)
"""

import asyncio
import json
import os
import statistics
import sys
import time

os.environ.setdefault("PLUGIN_MAGIC_COOKIE_KEY", "BASIC_PLUGIN")
os.environ.setdefault("PLUGIN_MAGIC_COOKIE_VALUE", "hello")

from pyvider.rpcplugin import plugin_client  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "python"))
from kv_wire import field, identity  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int, field_name: str = "VmRSS") -> float:
    """A /proc/<pid>/status memory field in MiB: VmRSS, or RssAnon (the process's own pages, not the
    executable's and libraries' file pages that every process running them shares)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def stop(client) -> None:
    """Controller.Shutdown, the plugin's exit, then close(): see the module's note."""
    process = client._process.process if client._process else None
    await client.shutdown_plugin()
    deadline = time.monotonic() + 10
    while process is not None and process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await client.close()


def stubs(client):
    channel = client.grpc_channel
    put = channel.unary_unary("/proto.KV/Put", request_serializer=identity, response_deserializer=identity)
    get = channel.unary_unary("/proto.KV/Get", request_serializer=identity, response_deserializer=identity)
    return put, get


async def main() -> None:
    params = json.loads(sys.argv[1])
    command = sys.argv[2:]
    out: dict[str, object] = {}
    cold = []
    # One unmeasured start first (page cache), then params["cold"] measured ones; none when 0.
    for _ in range(params["cold"] + 1 if params["cold"] > 0 else 0):
        started = time.perf_counter()
        client = plugin_client(command=command)
        await client.start()
        put, _ = stubs(client)
        await put(field(1, b"k") + field(2, b"v"))
        cold.append((time.perf_counter() - started) * 1000)
        await stop(client)
    if cold:
        out["cold_ms"] = statistics.median(cold[1:])
        out["cold_samples_ms"] = cold[1:]
    if params.get("coldOnly"):
        print(json.dumps(out), flush=True)
        return

    client = plugin_client(command=command)
    await client.start()
    try:
        pid = client._process.pid
        await asyncio.sleep(1.0)
        out["plugin_idle_rss_mib"] = rss_mib(pid)
        out["plugin_idle_anon_rss_mib"] = rss_mib(pid, "RssAnon")
        put, _ = stubs(client)
        request = field(1, b"key") + field(2, b"x" * params["size"])
        for _ in range(200):
            await put(request)
        unary = {}
        for conc in params["conc"]:
            calls = 0
            deadline = time.perf_counter() + params["seconds"]

            async def worker() -> None:
                nonlocal calls
                while time.perf_counter() < deadline:
                    await put(request)
                    calls += 1

            host0, plugin0, wall0 = time.process_time(), process_cpu_s(pid), time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(conc)))
            wall = time.perf_counter() - wall0
            plugin_cpu = process_cpu_s(pid) - plugin0
            cpu = (time.process_time() - host0) + plugin_cpu
            unary[str(conc)] = {
                "calls_per_s": calls / wall,
                "cpu_us_per_call": cpu / calls * 1e6,
                "plugin_cpu_us_per_call": plugin_cpu / calls * 1e6,
            }
        out["unary"] = unary
    finally:
        await stop(client)
    print(json.dumps(out), flush=True)


asyncio.run(main())
