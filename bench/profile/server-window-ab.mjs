#!/usr/bin/env node
// A/B of a wider HTTP/2 receive window on the grpc-js *server* (the plugin
// side of client streaming; grpc-js sets none, and its HTTP/2 servers are
// reachable only through a private field, as widenServerReceiveWindow does), across
// two processes as in a real plugin: a child serves proto.StreamerService
// over a unix socket with AutoMTLS-style TLS, with or without the window; this process streams 64 KiB chunks into
// it (Write) and reads them back (Read). The two servers alternate round by
// round; CPU is this process's plus the child's (it reports its own).
//
//   node bench/profile/server-window-ab.mjs [--mib 32] [--rounds 7]
import { fork } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { addService, CHANNEL_OPTIONS, createClient, generateCertificate, SERVER_OPTIONS } from "@rpcplugin/runtime";
import { pinnedChannelCredentials, pinnedServerCredentials } from "../../packages/runtime/dist/protocol/tls.js";
import { StreamerService } from "../dist/gen/streamer_pb.js";

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const CHUNK = 64 * 1024;
const WINDOW = 8 << 20;

/** An 8 MiB initial stream window and connection window on the HTTP/2 servers behind `server`'s injectors. */
function widenServerReceiveWindow(server) {
  const http2Servers = server.http2Servers;
  if (!(http2Servers instanceof Map) || http2Servers.size === 0) return false;
  for (const http2Server of http2Servers.keys()) {
    http2Server.updateSettings({ initialWindowSize: WINDOW });
    http2Server.on("session", (session) => session.setLocalWindowSize(WINDOW));
  }
  return true;
}

if (process.env.SERVER_WINDOW_CHILD) {
  const { widen, socketPath, mib, hostPem, own } = JSON.parse(process.env.SERVER_WINDOW_CHILD);
  const chunk = Buffer.alloc(CHUNK, 119);
  const n = Math.ceil((mib << 20) / CHUNK);
  const server = new grpc.Server(SERVER_OPTIONS);
  addService(server, StreamerService, {
    async *read() {
      for (let k = 0; k < n; k++) yield { readBytes: chunk };
    },
    async write(requests) {
      for await (const _ of requests);
      return {};
    },
  });
  const pluginCert = { certPem: own.certPem, keyPem: own.keyPem, certDer: Buffer.from(own.certDer, "base64") };
  const injector = server.createConnectionInjector(pinnedServerCredentials(pluginCert, hostPem));
  if (widen && !widenServerReceiveWindow(server)) throw new Error("widenServerReceiveWindow found no HTTP/2 server");
  const { createServer } = await import("node:net");
  const listener = createServer((socket) => injector.injectConnection(socket));
  listener.listen(socketPath, () => process.send("ready"));
  process.on("message", () => {
    const cpu = process.cpuUsage();
    process.send({ cpuMs: (cpu.user + cpu.system) / 1000 });
  });
} else {
  const MIB = opt("--mib", 32);
  const ROUNDS = opt("--rounds", 7);
  const hostCert = generateCertificate();
  const chunk = Buffer.alloc(CHUNK, 119);
  const n = Math.ceil((MIB << 20) / CHUNK);
  const variants = ["default server window", "server window 8 MiB"];
  const children = [];
  for (const [i, name] of variants.entries()) {
    const own = generateCertificate();
    const socketPath = path.join(os.tmpdir(), `rpcplugin-swab-${process.pid}-${i}.sock`);
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: {
        ...process.env,
        SERVER_WINDOW_CHILD: JSON.stringify({
          widen: i === 1,
          socketPath,
          mib: MIB,
          hostPem: hostCert.certPem,
          own: { ...own, certDer: own.certDer.toString("base64") },
        }),
      },
    });
    await new Promise((resolve) => child.once("message", resolve));
    const transport = new grpc.Client(`unix://${socketPath}`, pinnedChannelCredentials(hostCert, own.certPem), CHANNEL_OPTIONS);
    const client = createClient(StreamerService, transport);
    const childCpu = () =>
      new Promise((resolve) => {
        child.once("message", (m) => resolve(m.cpuMs));
        child.send("cpu");
      });
    children.push({ name, child, transport, client, childCpu });
  }
  const write = (c) =>
    c.client.write(
      (function* () {
        for (let k = 0; k < n; k++) yield { bytesToWrite: chunk };
      })(),
    );
  const read = async (c) => {
    for await (const _ of c.client.read({}));
  };
  async function measure(c, fn) {
    const childBefore = await c.childCpu();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(c);
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const childMs = (await c.childCpu()) - childBefore;
    const mb = (n * CHUNK) / 1e6;
    return { mbps: mb / s, cpuMsPerMB: ((cpu.user + cpu.system) / 1000 + childMs) / mb };
  }
  for (const c of children) {
    await write(c);
    await read(c);
  }
  const res = children.map(() => ({ write: [], read: [] }));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < children.length; k++) {
      const i = (k + r) % children.length;
      res[i].write.push(await measure(children[i], write));
      res[i].read.push(await measure(children[i], read));
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `${MIB} MiB in 64 KiB chunks × ${ROUNDS} rounds, host and plugin in two processes; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join("/")}`,
  );
  for (const [i, c] of children.entries()) {
    const r = res[i];
    console.log(
      `${c.name.padEnd(24)} client streaming ${med(r.write.map((x) => x.mbps))
        .toFixed(0)
        .padStart(4)} MB/s ${med(r.write.map((x) => x.cpuMsPerMB)).toFixed(2)} CPU ms/MB | server streaming ${med(r.read.map((x) => x.mbps))
        .toFixed(0)
        .padStart(4)} MB/s ${med(r.read.map((x) => x.cpuMsPerMB)).toFixed(2)} CPU ms/MB`,
    );
  }
  for (const c of children) {
    c.transport.close();
    c.child.kill();
  }
}
