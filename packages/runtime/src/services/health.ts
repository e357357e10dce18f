/**
 * grpc.health.v1.Health as go-plugin serves it, plus the application's own
 * status:
 *
 * - "plugin" is go-plugin's liveness check: SERVING while the plugin process
 *   serves gRPC, NOT_SERVING only once it shuts down. Go hosts ping it
 *   (`ClientProtocol.Ping`) and take anything else for a dead plugin, so the
 *   application's status never changes it.
 * - "" (the whole server, in gRPC's health convention) and the full name of
 *   every application service (e.g. "kv.KV") carry the application's status,
 *   which it reports with {@link HealthReporter.setApplicationStatus} or a
 *   health check callback (`serve({ health: { check } })`).
 */
import { create } from "@bufbuild/protobuf";
import {
  Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb.js";
import type { HealthHandler } from "../gen/grpc/health/v1/health_rpcplugin.js";
import { Code } from "../rpc/code.js";
import { RpcError } from "../rpc/errors.js";
import { AsyncQueue } from "../util/async-queue.js";

export { ServingStatus };

/** The service name go-plugin hosts ping. */
export const PLUGIN_HEALTH_SERVICE = "plugin";

/** The name under which the application's overall status is reported ("": the whole server). */
export const APPLICATION_HEALTH_SERVICE = "";

/** Sets health statuses of a running plugin. */
export interface HealthReporter {
  /**
   * Sets the status of one service name ("plugin" by default: go-plugin's
   * liveness check, which Go hosts take as dead when not SERVING); watchers are told.
   */
  setStatus(status: ServingStatus, service?: string): void;
  /**
   * Sets the application's status: on "" (the whole server) and on every
   * application service's name; "plugin" stays SERVING, so Go hosts' pings
   * still pass. Watchers are told of changes.
   */
  setApplicationStatus(status: ServingStatus): void;
  /** The application's current status. */
  readonly applicationStatus: ServingStatus;
}

/** Keeps the statuses and serves them. */
export class HealthState implements HealthReporter {
  private readonly statuses = new Map<string, ServingStatus>([
    ["", ServingStatus.SERVING],
    [PLUGIN_HEALTH_SERVICE, ServingStatus.SERVING],
  ]);
  private readonly watchers = new Map<string, Set<AsyncQueue<HealthCheckResponse>>>();
  private readonly applicationServices = new Set<string>([APPLICATION_HEALTH_SERVICE]);
  private stopped = false;

  setStatus(status: ServingStatus, service = PLUGIN_HEALTH_SERVICE): void {
    if (this.stopped || this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const queue of this.watchers.get(service) ?? []) queue.push(create(HealthCheckResponseSchema, { status }));
  }

  get applicationStatus(): ServingStatus {
    return this.statuses.get(APPLICATION_HEALTH_SERVICE) ?? ServingStatus.SERVING;
  }

  setApplicationStatus(status: ServingStatus): void {
    for (const service of this.applicationServices) this.setStatus(status, service);
  }

  /** Reports the application's status under these service names too (the application services' full names). */
  addApplicationServices(names: Iterable<string>): void {
    const status = this.applicationStatus;
    for (const name of names) {
      if (name === PLUGIN_HEALTH_SERVICE) continue;
      this.applicationServices.add(name);
      this.setStatus(status, name);
    }
  }

  /** Marks everything NOT_SERVING and ends all watches (the plugin is stopping); later reports are ignored. */
  shutdown(): void {
    for (const service of this.statuses.keys()) this.setStatus(ServingStatus.NOT_SERVING, service);
    this.stopped = true;
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
