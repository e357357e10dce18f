#!/usr/bin/env node
// What the per-call bookkeeping of @rpcplugin/runtime's rpc layer costs in
// isolation (CPU µs per operation, tight loop, best of 5): the objects every
// unary call makes on the client (ClientCall) and on the server
// (ServerCallState), next to cheaper equivalents. Build first.
//
//   node bench/profile/percall-costs.mjs
import * as grpc from "@grpc/grpc-js";
import { Code, RpcError } from "@rpcplugin/runtime";

const N = 100_000;
const shared = new RpcError("the call has ended", Code.CANCELLED);
const cases = {
  "new AbortController() + .signal": () => new AbortController().signal,
  "… + abort() without reason (client ClientCall.ended: builds a DOMException)": () => {
    const c = new AbortController();
    c.signal;
    c.abort();
  },
  "… + abort(sharedReason)": () => {
    const c = new AbortController();
    c.signal;
    c.abort(shared);
  },
  "… + abort() with an 'abort' listener (server context.signal, client signal option)": () => {
    const c = new AbortController();
    c.signal.addEventListener("abort", () => undefined, { once: true });
    c.abort(shared);
  },
  "new RpcError(...) (server: endReason per call, and another on 'cancelled')": () => new RpcError("the call has ended", Code.CANCELLED),
  "new grpc.Metadata() ×2 (server: responseHeaders + responseTrailers)": () => [new grpc.Metadata(), new grpc.Metadata()],
  "grpc.InterceptingCall + ListenerBuilder (host: exitAwareInterceptor, without the call)": () =>
    new grpc.ListenerBuilder().withOnReceiveStatus((s, next) => next(s)).build(),
};

console.log(`per-operation CPU cost, best of 5 × ${N.toLocaleString("en-US")} iterations`);
for (const [name, fn] of Object.entries(cases)) {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / N);
  }
  console.log(`${best.toFixed(2).padStart(7)} µs  ${name}`);
}
