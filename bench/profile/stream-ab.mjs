#!/usr/bin/env node
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
// A/B of server- and client-streaming throughput with 64 KiB chunks on the
// TypeScript side, client and server in one process over a unix socket with
// AutoMTLS-style TLS: the runtime's rpc layer as rpcplugin configures it,
// against grpc-js channel/server options and a raw (Buffer, no protobuf)
// baseline. Variants alternate round by round; CPU ms per MB is robust to a
// busy machine, MB/s is not. Build first.
//
//   node bench/profile/stream-ab.mjs [--mib 32] [--rounds 5] [--chunk 65536]
import * as grpc from "@grpc/grpc-js";
import { addService, CHANNEL_OPTIONS, createClient, generateCertificate, SERVER_OPTIONS } from "@rpcplugin/runtime";
import { pinnedChannelCredentials, pinnedServerCredentials } from "../../packages/runtime/dist/protocol/tls.js";
import { StreamerService } from "../dist/gen/streamer_pb.js";

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const MIB = opt("--mib", 32);
const ROUNDS = opt("--rounds", 5);
const CHUNK = opt("--chunk", 64 * 1024);
const TOTAL = MIB << 20;
const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : undefined;
const chunk = Buffer.alloc(CHUNK, 119);
const hostCert = generateCertificate();
const pluginCert = generateCertificate();

const WINDOW = 8 << 20;
const VARIANTS = {
  "runtime, TLS (as rpcplugin today)": { layer: "runtime" },
  "runtime, TLS, flow_control_window 8 MiB": { layer: "runtime", both: { "grpc-node.flow_control_window": WINDOW } },
  "runtime, insecure": { layer: "runtime", tls: false },
  "raw grpc-js Buffers, TLS": { layer: "raw" },
  "raw grpc-js Buffers, TLS, window 8 MiB": { layer: "raw", both: { "grpc-node.flow_control_window": WINDOW } },
};

const identity = (b) => b;
// Read.ResponseChunk{read_bytes} / Write.RequestChunk{bytes_to_write}: field 1, length-delimited, hand-encoded.
const framed = Buffer.concat([Buffer.from([0x0a]), varint(CHUNK), chunk]);
function varint(n) {
  const out = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
const rawDef = {
  read: {
    path: "/proto.StreamerService/Read",
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  write: {
    path: "/proto.StreamerService/Write",
    requestStream: true,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

async function makePair(v, i) {
  const tls = v.tls ?? true;
  const socketPath = path.join(os.tmpdir(), `rpcplugin-sab-${process.pid}-${i}.sock`);
  rmSync(socketPath, { force: true });
  const server = new grpc.Server({ ...SERVER_OPTIONS, ...v.both });
  const n = Math.ceil(TOTAL / CHUNK);
  if (v.layer === "runtime") {
    addService(server, StreamerService, {
      async *read() {
        for (let k = 0; k < n; k++) yield { readBytes: chunk };
      },
      async write(requests) {
        for await (const _ of requests);
        return {};
      },
    });
  } else {
    server.addService(rawDef, {
      read: async (call) => {
        for (let k = 0; k < n; k++) {
          if (!call.write(framed)) await new Promise((r) => call.once("drain", r));
        }
        call.end();
      },
      write: (call, respond) => {
        call.on("data", () => undefined);
        call.on("end", () => respond(null, Buffer.alloc(0)));
      },
    });
  }
  const injector = server.createConnectionInjector(tls ? pinnedServerCredentials(pluginCert, hostCert.certPem) : grpc.ServerCredentials.createInsecure());
  const listener = createServer((socket) => injector.injectConnection(socket));
  await new Promise((resolve) => listener.listen(socketPath, resolve));
  const transport = new grpc.Client(`unix://${socketPath}`, tls ? pinnedChannelCredentials(hostCert, pluginCert.certPem) : grpc.credentials.createInsecure(), {
    ...CHANNEL_OPTIONS,
    ...v.both,
  });
  let read;
  let write;
  if (v.layer === "runtime") {
    const st = createClient(StreamerService, transport);
    read = async () => {
      let got = 0;
      for await (const m of st.read({})) got += m.readBytes.length;
      return got;
    };
    write = async () => {
      await st.write(
        (function* () {
          for (let k = 0; k < n; k++) yield { bytesToWrite: chunk };
        })(),
      );
      return n * CHUNK;
    };
  } else {
    read = () =>
      new Promise((resolve, reject) => {
        let got = 0;
        const call = transport.makeServerStreamRequest(rawDef.read.path, identity, identity, Buffer.alloc(0));
        call.on("data", (d) => (got += d.length - 1 - varint(CHUNK).length));
        call.on("end", () => resolve(got));
        call.on("error", reject);
      });
    write = () =>
      new Promise((resolve, reject) => {
        const call = transport.makeClientStreamRequest(rawDef.write.path, identity, identity, (e) => (e ? reject(e) : resolve(n * CHUNK)));
        let k = 0;
        const pump = () => {
          while (k < n) {
            k++;
            if (!call.write(framed)) return call.once("drain", pump);
          }
          call.end();
        };
        pump();
      });
  }
  await read();
  await write();
  return {
    read,
    write,
    close: () => {
      transport.close();
      server.forceShutdown();
      listener.close();
      rmSync(socketPath, { force: true });
    },
  };
}

async function measure(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const bytes = await fn();
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { mbps: bytes / 1e6 / s, cpuMsPerMB: (cpu.user + cpu.system) / 1000 / (bytes / 1e6) };
}

const names = Object.keys(VARIANTS).filter((n) => !only || only.some((o) => n.includes(o)));
const pairs = [];
for (const [i, name] of names.entries()) pairs.push(await makePair(VARIANTS[name], i));
const res = names.map(() => ({ read: [], write: [] }));
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < names.length; i++) {
    const j = (i + r) % names.length;
    res[j].read.push(await measure(pairs[j].read));
    res[j].write.push(await measure(pairs[j].write));
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `${MIB} MiB in ${CHUNK}-byte chunks × ${ROUNDS} rounds, client+server in one process; load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}`,
);
console.log(
  `${"variant".padEnd(44)} ${"server-stream MB/s".padStart(18)} ${"CPU ms/MB".padStart(9)} ${"client-stream MB/s".padStart(18)} ${"CPU ms/MB".padStart(9)}`,
);
for (const [i, name] of names.entries()) {
  const r = res[i];
  console.log(
    `${name.padEnd(44)} ${med(r.read.map((x) => x.mbps))
      .toFixed(0)
      .padStart(18)} ${med(r.read.map((x) => x.cpuMsPerMB))
      .toFixed(2)
      .padStart(9)} ${med(r.write.map((x) => x.mbps))
      .toFixed(0)
      .padStart(18)} ${med(r.write.map((x) => x.cpuMsPerMB))
      .toFixed(2)
      .padStart(9)}`,
  );
}
for (const p of pairs) p.close();
