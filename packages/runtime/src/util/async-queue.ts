/**
 * An unbounded push queue readable as an async iterable by one consumer.
 * Used where events arrive from callbacks (broker ConnInfos, stdio chunks)
 * and leave through a gRPC stream.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;

  /** Adds an item; ignored after {@link end}. */
  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** Ends the queue: the consumer gets the items already queued, then completes. */
  end(): void {
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  /** Removes and returns the items waiting for the consumer, oldest first. */
  drain(): T[] {
    return this.items.splice(0);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Number of items waiting for the consumer. */
  get size(): number {
    return this.items.length;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.end();
        this.items.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
