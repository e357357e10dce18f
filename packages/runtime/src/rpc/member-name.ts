/**
 * The name an RPC gets on clients and handlers: the method's `localName`
 * (`getFeature` for `rpc GetFeature`), except `then`, which becomes `then$`.
 * An object with a `then` method is a thenable: `await client`, or a handler
 * returned from an async function (`const impl = await makeHandler()`), would
 * call the RPC as if it were a promise's `then`, and the await would hang.
 */
export type MemberName<K> = K extends "then" ? "then$" : K;

/** {@link MemberName} of a method's `localName`, at run time. */
export function memberName(localName: string): string {
  return localName === "then" ? "then$" : localName;
}
