/**
 * Standard output a plugin wrote before serve() started capturing it, held
 * by whoever started the process early enough to hold it: the loader of an
 * executable made by `rpcplugin build` holds everything written through
 * `process.stdout` from its first line, so that a module that prints while it
 * is imported does not put text before the handshake line (which a host
 * would reject as "not a handshake"). serve() takes the held output and sends
 * it to the host over GRPCStdio, ahead of what is written later; a process
 * that never reaches the capture gets it on its real stdout when it exits.
 */

/** Where the holder registers itself on `globalThis`: `{ take(): Uint8Array[] }`. */
export const HELD_STDOUT = Symbol.for("rpcplugin.heldStdout");

interface Holder {
  /** Stops holding (process.stdout.write is the real one again) and returns what was held, oldest first. */
  take(): Uint8Array[];
}

/** The held chunks, once; an empty list when nothing holds stdout (plain `node`, bundles). */
export function takeHeldStdout(): Uint8Array[] {
  const holder = (globalThis as Record<symbol, Holder | undefined>)[HELD_STDOUT];
  return typeof holder?.take === "function" ? holder.take() : [];
}
