/**
 * What `serve()` adds to a plugin's gRPC server besides go-plugin's
 * protocol: tracing of every call, rate limits of the application's methods
 * and the application's health status. Installed around the registration of
 * services: {@link installServerInterceptors} before, {@link startApplicationHealth}
 * after.
 */

import type { Logger } from "../log.js";
import type { RpcServer } from "../rpc/engine.js";
import { registeredServices, useInterceptors } from "../rpc/server.js";
import type { HealthState } from "../services/health.js";
import { isLifecycleService } from "../services/lifecycle.js";
import { serverTelemetryInterceptor } from "../telemetry.js";
import { type HealthCheckLoop, type HealthCheckOptions, startHealthChecks } from "./health-check.js";
import { checkRateLimitMethods, type RateLimit, type RateLimitOptions, rateLimitInterceptor } from "./rate-limit.js";

/**
 * Wraps every service added to `server` from now on: telemetry outermost (so
 * refused calls are traced too), then the rate limits. Returns the limits, to
 * check against the services once they are registered. Throws ConfigError
 * for malformed limits.
 */
export function installServerInterceptors(server: RpcServer, global: RateLimit | undefined, methods: Record<string, RateLimit> | undefined): RateLimitOptions {
  const limits: RateLimitOptions = { global, methods };
  useInterceptors(server, [serverTelemetryInterceptor, rateLimitInterceptor(limits)]);
  return limits;
}

/**
 * Once the plugins registered their services: checks the per-method rate
 * limits name served methods, reports the application's status under each
 * application service's name, and starts the health check callback (asked
 * once before this resolves).
 */
export async function startApplicationHealth(
  server: RpcServer,
  health: HealthState,
  limits: RateLimitOptions,
  options: HealthCheckOptions,
  logger: Logger,
): Promise<HealthCheckLoop> {
  const services = registeredServices(server);
  checkRateLimitMethods(limits, services);
  health.addApplicationServices(services.map((service) => service.typeName).filter((name) => !isLifecycleService(name)));
  return startHealthChecks(health, options, logger);
}
