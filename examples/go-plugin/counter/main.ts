/**
 * The counter plugin of go-plugin's examples/bidirectional, in TypeScript.
 * Put does not add by itself: it dials the host's AddHelper through the
 * broker (the id comes in PutRequest.add_server) and stores what it returns,
 * as {"Value":n} in kv_<key>, like the Go plugin.
 */
import { readFile, writeFile } from "node:fs/promises";
import { type Broker, serve } from "@rpcplugin/runtime";
import type { GetRequest, PutRequest } from "../gen/counter/counter_pb.js";
import { AddHelperClient, type CounterHandler, CounterPlugin } from "../gen/counter/counter_rpcplugin.js";
import { handshake } from "../shared/handshake.js";

async function load(key: string): Promise<bigint> {
  const text = await readFile(`kv_${key}`, "utf8");
  // Read the integer as written (int64 may exceed a double's precision).
  const match = /"Value"\s*:\s*(-?\d+)/.exec(text);
  if (!match) throw new Error(`kv_${key} does not hold a counter: ${text}`);
  return BigInt(match[1] as string);
}

class FileCounter implements CounterHandler {
  constructor(private readonly broker: Broker) {}

  async put({ addServer, key, value }: PutRequest) {
    const current = await load(key).catch(() => 0n);
    const connection = await this.broker.dial(addServer);
    try {
      const { r } = await new AddHelperClient(connection).sum({ a: current, b: value });
      await writeFile(`kv_${key}`, `{"Value":${r}}`);
    } finally {
      connection.close();
    }
    return {};
  }

  async get({ key }: GetRequest) {
    return { value: await load(key) };
  }
}

await serve({ handshake, plugins: { counter: CounterPlugin.server(({ broker }) => new FileCounter(broker)) } });
