/**
 * grpc.health.v1.Health as go-plugin serves it: the service name "plugin"
 * (and "", the whole server) report SERVING while the plugin runs. The
 * application may report other statuses through {@link HealthReporter}.
 */
import { create } from "@bufbuild/protobuf";
import {
  Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb.js";
import { AsyncQueue } from "../util/async-queue.js";
import { Code } from "../rpc/code.js";
import { RpcError } from "../rpc/errors.js";
import type { HealthHandler } from "../gen/grpc/health/v1/health_rpcplugin.js";

export { ServingStatus };

/** The service name go-plugin hosts ping. */
export const PLUGIN_HEALTH_SERVICE = "plugin";

/** Sets health statuses of a running plugin. */
export interface HealthReporter {
  /** Sets the status of `service` ("plugin" by default); watchers are told. */
  setStatus(status: ServingStatus, service?: string): void;
}

/** Keeps the statuses and serves them. */
export class HealthState implements HealthReporter {
  private readonly statuses = new Map<string, ServingStatus>([
    ["", ServingStatus.SERVING],
    [PLUGIN_HEALTH_SERVICE, ServingStatus.SERVING],
  ]);
  private readonly watchers = new Map<string, Set<AsyncQueue<HealthCheckResponse>>>();

  setStatus(status: ServingStatus, service = PLUGIN_HEALTH_SERVICE): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const queue of this.watchers.get(service) ?? []) queue.push(create(HealthCheckResponseSchema, { status }));
  }

  /** Marks everything NOT_SERVING and ends all watches (the plugin is stopping). */
  shutdown(): void {
    for (const service of this.statuses.keys()) this.setStatus(ServingStatus.NOT_SERVING, service);
    for (const queues of this.watchers.values()) for (const queue of queues) queue.end();
    this.watchers.clear();
  }

  readonly handler: HealthHandler = {
    check: (request) => {
      const status = this.statuses.get(request.service);
      if (status === undefined) throw new RpcError(`unknown service ${JSON.stringify(request.service)}`, Code.NOT_FOUND);
      return { status };
    },
    list: () => ({
      statuses: Object.fromEntries([...this.statuses].map(([name, status]) => [name, create(HealthCheckResponseSchema, { status })])),
    }),
    watch: (request, context) => {
      const queue = new AsyncQueue<HealthCheckResponse>();
      queue.push(create(HealthCheckResponseSchema, { status: this.statuses.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN }));
      let set = this.watchers.get(request.service);
      if (!set) {
        set = new Set();
        this.watchers.set(request.service, set);
      }
      set.add(queue);
      const watchers = set;
      context.signal.addEventListener("abort", () => {
        watchers.delete(queue);
        queue.end();
      });
      return queue;
    },
  };
}

export { Health };
