/**
 * Errors raised by the yamux session layer. Every one carries a stable `code`
 * (like Node's system errors) so callers can tell them apart without
 * `instanceof` across module copies.
 */

/** Base class of every yamux error. */
export class YamuxError extends Error {
  readonly code: string;

  constructor(message: string, code = "ERR_YAMUX", options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The peer sent something the protocol does not allow (bad version, unknown
 * frame type, window overrun, duplicate stream, ...). The session is torn down
 * and a go-away with the protocol-error code is sent to the peer.
 */
export class YamuxProtocolError extends YamuxError {
  constructor(message: string) {
    super(`yamux protocol error: ${message}`, "ERR_YAMUX_PROTOCOL");
  }
}

/** The peer sent a go-away. `goAwayCode` is the code it sent (0 normal, 1 protocol error, 2 internal error). */
export class YamuxGoAwayError extends YamuxError {
  readonly goAwayCode: number;

  constructor(message: string, goAwayCode: number) {
    super(message, "ERR_YAMUX_GO_AWAY");
    this.goAwayCode = goAwayCode;
  }
}

/** The session is closed (locally, by the peer, or because the underlying connection ended or failed). */
export class YamuxSessionClosedError extends YamuxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "ERR_YAMUX_SESSION_CLOSED", options);
  }
}

/** The peer reset (RST) the stream, or refused to accept it. */
export class YamuxStreamResetError extends YamuxError {
  readonly streamId: number;

  constructor(streamId: number) {
    super(`yamux stream ${streamId} was reset by the peer`, "ERR_YAMUX_STREAM_RESET");
    this.streamId = streamId;
  }
}

/** A ping, keep-alive or stream open was not answered in time. */
export class YamuxTimeoutError extends YamuxError {
  constructor(message: string) {
    super(message, "ERR_YAMUX_TIMEOUT");
  }
}
