import type { HandshakeConfig } from "@rpcplugin/runtime";

/** The cookie of go-plugin's example hosts (examples/grpc, bidirectional, streaming, negotiated). */
export const handshake: HandshakeConfig = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };
