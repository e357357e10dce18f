/**
 * yamux stream multiplexing, wire-compatible with github.com/hashicorp/yamux
 * v0.1.2 (the transport of go-plugin's multiplexed gRPC broker).
 */

export {
  YamuxError,
  YamuxGoAwayError,
  YamuxProtocolError,
  YamuxSessionClosedError,
  YamuxStreamResetError,
  YamuxTimeoutError,
} from "./errors.js";
export {
  decodeHeader,
  describeHeader,
  encodeHeader,
  Flag,
  type FrameHandler,
  type FrameHeader,
  FrameParser,
  FrameType,
  GoAwayCode,
  HEADER_SIZE,
  INITIAL_STREAM_WINDOW,
  PROTOCOL_VERSION,
} from "./frame.js";
export { type YamuxRole, YamuxSession, type YamuxSessionEvents, type YamuxSessionOptions } from "./session.js";
export { MAX_DATA_FRAME, YamuxStream } from "./stream.js";
