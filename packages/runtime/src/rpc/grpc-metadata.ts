/**
 * grpc-js's `Metadata` class on its own. Metadata is part of the runtime's
 * API whichever engine runs the calls; importing just its module (instead of
 * the grpc-js index) keeps the rest of grpc-js out of a process that uses the
 * h2 engine. It is the same class the index exports (`instanceof` holds).
 */
export { Metadata } from "@grpc/grpc-js/build/src/metadata.js";
