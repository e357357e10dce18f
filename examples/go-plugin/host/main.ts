/**
 * A TypeScript host driving the example plugins — what `npm run example`
 * runs. It launches the KV plugin and the counter plugin (each a separate
 * process, AutoMTLS on), stores and reads values, and serves the AddHelper
 * callback the counter plugin calls back through the broker.
 *
 *   node examples/go-plugin/dist/host/main.js [kv-plugin] [counter-plugin]
 *
 * Either plugin may be any go-plugin plugin implementing the same protos,
 * e.g. go-plugin's own Go example plugins.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { addService, type PluginClientContext, startPlugin } from "@rpcplugin/runtime";
import { AddHelper } from "../gen/counter/counter_pb.js";
import { type AddHelperHandler, CounterClient } from "../gen/counter/counter_rpcplugin.js";
import { KVPlugin } from "../gen/kv/kv_rpcplugin.js";
import { handshake } from "../shared/handshake.js";

const examples = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const kvCommand = process.argv[2] ?? join(examples, "kv", "plugin");
const counterCommand = process.argv[3] ?? join(examples, "counter", "plugin");

/** The counter's host-side client: each Put serves AddHelper for the plugin to call back. */
function counterClient({ transport, broker }: PluginClientContext) {
  const counter = new CounterClient(transport);
  const addHelper: AddHelperHandler = {
    sum: ({ a, b }) => {
      console.log(`  host: AddHelper.Sum(${a}, ${b}) called back by the plugin`);
      return { r: a + b };
    },
  };
  return {
    get: async (key: string) => (await counter.get({ key })).value,
    async put(key: string, value: bigint) {
      const id = broker.nextId();
      const helper = await broker.acceptAndServe(id, (server) => addService(server, AddHelper, addHelper));
      try {
        await counter.put({ addServer: id, key, value });
      } finally {
        await helper.close();
      }
    },
  };
}

const workdir = mkdtempSync(join(tmpdir(), "rpcplugin-example-"));
try {
  console.log(`Launching the KV plugin: ${kvCommand}`);
  {
    await using kvPlugin = await startPlugin({ command: kvCommand, cwd: workdir, handshake, plugins: { kv_grpc: KVPlugin } });
    console.log(
      `  connected over ${kvPlugin.address.network} ${kvPlugin.address.address}, TLS ${kvPlugin.tls ? "on" : "off"}, protocol version ${kvPlugin.protocolVersion}`,
    );
    const kv = kvPlugin.dispense("kv_grpc");
    await kv.put({ key: "greeting", value: Buffer.from("hello from the host") });
    const { value } = await kv.get({ key: "greeting" });
    console.log(`  get greeting -> ${JSON.stringify(Buffer.from(value).toString())}`);
  }

  console.log(`Launching the counter plugin: ${counterCommand}`);
  {
    await using counterPlugin = await startPlugin({
      command: counterCommand,
      cwd: workdir,
      handshake,
      plugins: { counter: { client: counterClient } },
    });
    const counter = counterPlugin.dispense("counter");
    await counter.put("hits", 1n);
    await counter.put("hits", 2n);
    console.log(`  get hits -> ${await counter.get("hits")}`);
  }
  console.log("Both plugins stopped cleanly.");
} finally {
  rmSync(workdir, { recursive: true, force: true });
}
