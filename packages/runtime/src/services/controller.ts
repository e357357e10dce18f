/**
 * plugin.GRPCController: the host's request to stop. The reply is sent
 * first; the plugin then drains in-flight calls and exits.
 */
import { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
import type { GRPCControllerHandler } from "../gen/plugin/grpc_controller_rpcplugin.js";

export { GRPCController };

/** A controller whose Shutdown calls `onShutdown` once the reply is on its way. */
export function controllerHandler(onShutdown: () => void): GRPCControllerHandler {
  return {
    shutdown: () => {
      setImmediate(onShutdown);
      return {};
    },
  };
}
