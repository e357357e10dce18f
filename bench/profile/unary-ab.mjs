#!/usr/bin/env node
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
// A/B of what a unary call costs on the TypeScript side, client and server in
// one process over a unix socket (so CPU µs per call = both sides' cost, and a
// busy machine inflates wall time far more than CPU time). Each round runs
// every variant in a fresh process (no shared JIT or heap), in rotating order.
// Build first (npm run bench does).
//
//   node bench/profile/unary-ab.mjs [--calls 4000] [--rounds 5] [--conc 16] [--size 100]
import * as grpc from "@grpc/grpc-js";
import { addService, CHANNEL_OPTIONS, createClient, generateCertificate, SERVER_OPTIONS } from "@rpcplugin/runtime";
import { pinnedChannelCredentials, pinnedServerCredentials } from "../../packages/runtime/dist/protocol/tls.js";
import { KV } from "../dist/gen/kv_pb.js";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const CALLS = opt("--calls", 4000);
const ROUNDS = opt("--rounds", 5);
const CONC = opt("--conc", 16);
const SIZE = opt("--size", 100);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : undefined;

const payload = Buffer.alloc(SIZE, 97);
// GetRequest{key:"<SIZE>"} and GetResponse{value:<payload>}, hand-encoded for the raw variants.
const requestBytes = Buffer.concat([Buffer.from([0x0a, String(SIZE).length]), Buffer.from(String(SIZE))]);
const responseBytes = Buffer.concat([Buffer.from([0x0a]), varint(SIZE), payload]);
function varint(n) {
  const out = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
const identity = (b) => b;
const rawDefinition = {
  get: {
    path: "/proto.KV/Get",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** The exitAwareInterceptor of packages/runtime/src/client.ts, minus the exit check (status passes through). */
const passThroughInterceptor = (options, nextCall) =>
  new grpc.InterceptingCall(nextCall(options), {
    start(metadata, _listener, next) {
      next(metadata, new grpc.ListenerBuilder().withOnReceiveStatus((status, nextStatus) => nextStatus(status)).build());
    },
  });

const hostCert = generateCertificate();
const pluginCert = generateCertificate();

const VARIANTS = {
  "raw grpc-js, insecure": { layer: "raw", tls: false },
  "raw grpc-js, TLS": { layer: "raw", tls: true },
  "runtime rpc layer, TLS (as startPlugin, minus interceptor)": { layer: "runtime", tls: true },
  "runtime rpc layer, TLS + exitAware-style interceptor (= startPlugin)": { layer: "runtime", tls: true, interceptor: true },
  "… + grpc.enable_retries=0": { layer: "runtime", tls: true, interceptor: true, channel: { "grpc.enable_retries": 0 } },
  "runtime rpc layer, insecure, retries off, no interceptor": { layer: "runtime", tls: false, channel: { "grpc.enable_retries": 0 } },
};

async function makePair(v, i) {
  const socketPath = path.join(os.tmpdir(), `rpcplugin-ab-${process.pid}-${i}.sock`);
  rmSync(socketPath, { force: true });
  const server = new grpc.Server({ ...SERVER_OPTIONS, ...v.server });
  if (v.layer === "runtime") addService(server, KV, { get: () => ({ value: payload }), put: () => ({}) });
  else server.addService(rawDefinition, { get: (_call, respond) => respond(null, responseBytes) });
  const injector = server.createConnectionInjector(v.tls ? pinnedServerCredentials(pluginCert, hostCert.certPem) : grpc.ServerCredentials.createInsecure());
  const listener = createServer((socket) => injector.injectConnection(socket));
  await new Promise((resolve) => listener.listen(socketPath, resolve));
  const transport = new grpc.Client(
    `unix://${socketPath}`,
    v.tls ? pinnedChannelCredentials(hostCert, pluginCert.certPem) : grpc.credentials.createInsecure(),
    {
      ...CHANNEL_OPTIONS,
      ...v.channel,
      interceptors: v.interceptor ? [passThroughInterceptor] : [],
    },
  );
  let call;
  if (v.layer === "runtime") {
    const kv = createClient(KV, transport);
    const request = { key: String(SIZE) };
    call = () => kv.get(request);
  } else {
    call = () =>
      new Promise((resolve, reject) => transport.makeUnaryRequest("/proto.KV/Get", identity, identity, requestBytes, (e, v2) => (e ? reject(e) : resolve(v2))));
  }
  await call();
  return {
    call,
    close: () => {
      transport.close();
      server.forceShutdown();
      listener.close();
      rmSync(socketPath, { force: true });
    },
  };
}

async function round(pair) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (++next <= CALLS) await pair.call();
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { callsPerS: CALLS / (wall / 1000), cpuUsPerCall: (cpu.user + cpu.system) / CALLS };
}

const names = Object.keys(VARIANTS).filter((n) => !only || only.some((o) => n.includes(o)));
const variantArg = args.includes("--variant") ? args[args.indexOf("--variant") + 1] : undefined;
if (variantArg !== undefined) {
  // Child: one variant, a warm-up round, then one measured round; prints JSON.
  const pair = await makePair(VARIANTS[variantArg], 0);
  await round(pair);
  console.log(JSON.stringify(await round(pair)));
  pair.close();
} else {
  const results = names.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < names.length; i++) {
      const j = (i + r) % names.length;
      const out = execFileSync(
        process.execPath,
        [process.argv[1], "--variant", names[j], "--calls", String(CALLS), "--conc", String(CONC), "--size", String(SIZE)],
        { encoding: "utf8" },
      );
      results[j].push(JSON.parse(out.trim().split("\n").pop()));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `unary ${SIZE} B, ${CONC} in flight, ${CALLS} calls × ${ROUNDS} rounds (fresh process per variant per round), client+server in one process; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join("/")}`,
  );
  const base = median(results[0].map((x) => x.cpuUsPerCall));
  for (const [i, name] of names.entries()) {
    const cpu = median(results[i].map((x) => x.cpuUsPerCall));
    const tput = median(results[i].map((x) => x.callsPerS));
    console.log(`${name.padEnd(72)} ${tput.toFixed(0).padStart(7)} calls/s  ${cpu.toFixed(1).padStart(7)} CPU µs/call  (×${(cpu / base).toFixed(2)})`);
  }
}
