/**
 * Serving from a V8 startup snapshot (`rpcplugin build --snapshot`): the
 * executable's build runs the plugin's entry, imports and all, and takes a
 * snapshot of the heap; the executable starts from that heap. Nothing that
 * reads the process (environment, arguments, cookie) or opens a handle may
 * run while the snapshot is built, so the serve functions hand themselves to
 * the snapshot's start instead: the build's loader puts a hook on
 * `globalThis` while it builds and takes it away before it calls what was
 * handed over.
 */

/** The hook the loader of a snapshot build installs (cli sea-loader.ts). */
export interface SnapshotStartHook {
  /** Runs `start` when the executable starts from the snapshot. */
  defer(start: () => void): void;
}

/** The global under which the loader installs its {@link SnapshotStartHook}. */
export const SNAPSHOT_START_HOOK = Symbol.for("rpcplugin.snapshotStart");

/**
 * While a startup snapshot is being built: defers `start` to the start of the
 * executable and returns the promise of its result, after running `prepare`
 * (work worth keeping in the snapshot, such as importing what `start` will
 * import; its failure is left for `start` to meet). Otherwise undefined:
 * the caller goes on as usual.
 */
export function deferToSnapshotStart<T>(start: () => Promise<T>, prepare?: () => Promise<unknown>): Promise<T> | undefined {
  const hook = (globalThis as { [SNAPSHOT_START_HOOK]?: SnapshotStartHook })[SNAPSHOT_START_HOOK];
  if (hook === undefined) return undefined;
  void prepare?.().catch(() => {});
  return new Promise<T>((resolve, reject) => hook.defer(() => start().then(resolve, reject)));
}
