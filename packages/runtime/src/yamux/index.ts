/**
 * yamux stream multiplexing, wire-compatible with github.com/hashicorp/yamux
 * v0.1.2 (the transport of go-plugin's multiplexed gRPC broker).
 */
export { YamuxSession, type YamuxRole, type YamuxSessionEvents, type YamuxSessionOptions } from "./session.js";
export { YamuxStream, MAX_DATA_FRAME } from "./stream.js";
export {
  Flag,
  FrameParser,
  FrameType,
  GoAwayCode,
  HEADER_SIZE,
  INITIAL_STREAM_WINDOW,
  PROTOCOL_VERSION,
  decodeHeader,
  describeHeader,
  encodeHeader,
  type FrameHandler,
  type FrameHeader,
} from "./frame.js";
export {
  YamuxError,
  YamuxGoAwayError,
  YamuxProtocolError,
  YamuxSessionClosedError,
  YamuxStreamResetError,
  YamuxTimeoutError,
} from "./errors.js";
