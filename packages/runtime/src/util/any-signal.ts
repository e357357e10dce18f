/** One signal for several: aborted, with its reason, when the first of them aborts. */
export interface CombinedSignal {
  readonly signal: AbortSignal;
  /** Removes the listeners from the sources (call it when the work the signal guards is over). */
  dispose(): void;
}

/**
 * Combines `sources` (AbortSignal.any needs Node 20.3; the libraries support
 * Node 20). Unlike AbortSignal.any, the listeners on long-lived sources are
 * removed by `dispose()` rather than left to the garbage collector.
 */
export function anySignal(sources: readonly AbortSignal[]): CombinedSignal {
  const combined = new AbortController();
  const onAbort = (event: Event) => combined.abort((event.target as AbortSignal).reason);
  const listened: AbortSignal[] = [];
  for (const source of sources) {
    if (source.aborted) {
      combined.abort(source.reason);
      break;
    }
    source.addEventListener("abort", onAbort, { once: true });
    listened.push(source);
  }
  return {
    signal: combined.signal,
    dispose: () => {
      for (const source of listened) source.removeEventListener("abort", onAbort);
    },
  };
}
