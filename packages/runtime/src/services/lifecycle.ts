/**
 * The services the runtime itself serves on every plugin, as opposed to the
 * application's own: rate limits never apply to them, telemetry leaves their
 * plugin-long streams alone, and the application's health status is not
 * theirs.
 */

/** Full names of the runtime's own services (go-plugin's, health and reflection). */
export const LIFECYCLE_SERVICES: ReadonlySet<string> = new Set([
  "grpc.health.v1.Health",
  "plugin.GRPCController",
  "plugin.GRPCStdio",
  "plugin.GRPCBroker",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

/** True for a service the runtime serves itself (see {@link LIFECYCLE_SERVICES}). */
export function isLifecycleService(typeName: string): boolean {
  return LIFECYCLE_SERVICES.has(typeName);
}
