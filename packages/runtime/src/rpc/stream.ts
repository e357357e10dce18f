/**
 * The two adapters every streaming call needs, on both sides of the wire:
 * a grpc-js readable call as an async iterable, and an async iterable
 * written into a grpc-js writable call. Both honour back-pressure (nothing is
 * read or produced faster than the other end takes it) and both stop when the
 * call stops, so no caller is left waiting on a call that is over.
 */
import type { Readable, Writable } from "node:stream";

/**
 * Reads `stream` message by message. The stream is read only as fast as the
 * consumer asks, so grpc-js (and HTTP/2 flow control behind it) holds back
 * the sender. Ends when the stream ends; throws `failure(error)` when the
 * stream emits an error, or `failure(undefined)` when it closes before its
 * end (a cancelled call). Leaving the loop early removes the listeners and
 * leaves the stream alone (a duplex call may still be writing).
 */
export async function* readMessages<T>(stream: Readable, failure: (error: unknown) => Error): AsyncGenerator<T, void, undefined> {
  let wake: (() => void) | undefined;
  let ended = false;
  let closed = false;
  let errored = false;
  let error: unknown;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onClose = () => {
    closed = true;
    notify();
  };
  const onError = (reason: unknown) => {
    if (!errored) {
      errored = true;
      error = reason;
    }
    notify();
  };
  stream.on("readable", notify);
  stream.on("end", onEnd);
  stream.on("close", onClose);
  stream.on("error", onError);
  try {
    for (;;) {
      const chunk: unknown = stream.destroyed ? null : stream.read();
      if (chunk !== null) {
        yield chunk as T;
        continue;
      }
      if (errored) throw failure(error);
      if (ended || stream.readableEnded) return;
      if (closed || stream.destroyed) throw failure(undefined);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    stream.off("readable", notify);
    stream.off("end", onEnd);
    stream.off("close", onClose);
    stream.off("error", onError);
  }
}

/**
 * Writes every item of `source` (converted by `prepare`) into `sink`,
 * waiting for `drain` whenever `write` returns false. Resolves true when the
 * source is exhausted (the caller then ends the sink), false when `stop`
 * aborted first; in both early cases the source's `return()` is called so its
 * `finally` blocks run. Rejects with what the source or `prepare` threw (the
 * source is closed first). Never waits on a source or a sink after `stop`.
 */
export async function writeMessages<T, M>(
  source: AsyncIterable<T> | Iterable<T>,
  sink: Writable,
  prepare: (item: T) => M,
  stop: AbortSignal,
): Promise<boolean> {
  const iterator = iteratorOf(source);
  try {
    for (;;) {
      const next = await untilAborted(Promise.resolve(iterator.next()), stop);
      if (next === undefined) {
        closeIterator(iterator);
        return false;
      }
      if (next.value.done) return true;
      if (!sink.write(prepare(next.value.value)) && !(await drained(sink, stop))) {
        closeIterator(iterator);
        return false;
      }
    }
  } catch (error) {
    closeIterator(iterator);
    throw error;
  }
}

/** Resolves true on `drain`, false if `stop` aborts or the stream closes first. */
export function drained(stream: Writable, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted || stream.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (value: boolean) => {
      stream.off("drain", onDrain);
      stream.off("close", onStop);
      stop.removeEventListener("abort", onStop);
      resolve(value);
    };
    const onDrain = () => settle(true);
    const onStop = () => settle(false);
    stream.on("drain", onDrain);
    stream.on("close", onStop);
    stop.addEventListener("abort", onStop);
  });
}

/**
 * Settles like `promise` (wrapped as `{ value }`) unless `signal` aborts
 * first, then resolves undefined. A later rejection of `promise` is ignored.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<{ value: T } | undefined> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve({ value });
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Asks an iterator to finish (runs a generator's `finally`), without waiting and ignoring its errors. */
export function closeIterator(iterator: Iterator<unknown> | AsyncIterator<unknown>): void {
  try {
    const result = iterator.return?.();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // The iterator failed while finishing: nothing is left to tell.
  }
}

function iteratorOf<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  if (Symbol.iterator in source) return source[Symbol.iterator]();
  throw new TypeError("expected an AsyncIterable or an Iterable of messages");
}
