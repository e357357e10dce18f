/**
 * plugin.GRPCBroker/StartStream: the ConnInfo channel between the two
 * brokers. The host opens the call; the plugin serves it.
 */
import { type ConnInfo, GRPCBroker } from "../gen/plugin/grpc_broker_pb.js";
import type { GRPCBrokerHandler } from "../gen/plugin/grpc_broker_rpcplugin.js";
import type { BrokerCore } from "../protocol/broker.js";
import { AsyncQueue } from "../util/async-queue.js";

export { GRPCBroker };

/** The plugin side of StartStream, wired to `broker`. */
export function brokerStreamHandler(broker: BrokerCore): {
  handler: GRPCBrokerHandler;
  send(info: ConnInfo): void;
  end(): void;
} {
  const outgoing = new AsyncQueue<ConnInfo>();
  return {
    send: (info) => outgoing.push(info),
    end: () => outgoing.end(),
    handler: {
      startStream: (requests, context) => {
        void (async () => {
          try {
            for await (const info of requests) broker.receive(info);
          } catch {
            // The host closed the stream; nothing more will arrive.
          }
        })();
        context.signal.addEventListener("abort", () => outgoing.end());
        return outgoing;
      },
    },
  };
}
