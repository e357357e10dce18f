import { createLogger } from "@rpcplugin/runtime";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type CtyType, dynamic, fromDynamicValue, isUnknown, toDynamicValue, typeToJson, type Unknown, unknown } from "../cty/index.js";
import { defineProvider } from "./define.js";
import { DiagnosticError } from "./diagnostics.js";
import { defineFunction, FunctionError } from "./functions.js";
import { ProviderServer } from "./server.js";

const joinPath = defineFunction({
  summary: "Joins relative path segments with /",
  parameters: [{ name: "first", type: "string", description: "The first segment." }],
  variadic: { name: "rest", type: "string" },
  returns: "string",
  run([first, ...rest]) {
    expectTypeOf(first).toEqualTypeOf<string>();
    expectTypeOf(rest).toEqualTypeOf<string[]>();
    const parts = [first, ...rest];
    const bad = parts.findIndex((part) => part.startsWith("/") || part.split("/").includes(".."));
    if (bad !== -1) throw new FunctionError(`${JSON.stringify(parts[bad])} is not a relative path inside the directory`, { argument: bad });
    return parts.join("/");
  },
});

const lengths = defineFunction({
  parameters: [{ name: "items", type: { list: "string" }, allowNull: true, allowUnknown: true }],
  returns: { map: "number" },
  run([items]) {
    expectTypeOf(items).toEqualTypeOf<string[] | null | Unknown>();
    if (items === null) return {};
    if (isUnknown(items)) return unknown();
    return Object.fromEntries(items.map((item) => [item, item.length]));
  },
});

const typeOf = defineFunction({
  parameters: [{ name: "value", type: "dynamic" }],
  returns: "dynamic",
  run([value]) {
    return dynamic("string", typeToJson((value as { type: CtyType }).type));
  },
});

let slowStarted: () => void = () => {};
const provider = defineProvider({
  name: "paths",
  schema: { attributes: {} },
  functions: {
    join_path: joinPath,
    lengths,
    type_of: typeOf,
    broken: defineFunction({
      parameters: [],
      returns: "string",
      run() {
        throw new Error("disk on fire");
      },
    }),
    diagnostic: defineFunction({
      parameters: [],
      returns: "string",
      run() {
        throw new DiagnosticError("Not today", { detail: "try tomorrow" });
      },
    }),
    wrong_type: defineFunction({ parameters: [], returns: "number", run: () => "seven" as never }),
    nothing: defineFunction({ parameters: [], returns: "string", run: () => undefined as never }),
    slow: defineFunction({
      parameters: [],
      returns: "string",
      async run(_args, context) {
        slowStarted();
        await new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason)));
        return "never";
      },
    }),
  },
});

const quiet = createLogger({ write: () => {} });
const server = () => new ProviderServer(provider, quiet);
const arg = (value: unknown, type: CtyType) => toDynamicValue(value, type) as { msgpack: Uint8Array; json: Uint8Array };
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("provider-defined functions", () => {
  it("GetProviderSchema, GetFunctions and GetMetadata list them with parameters, variadic, return type and docs", () => {
    const s = server();
    const schema = s.getProviderSchema();
    expect(Object.keys(schema.functions)).toEqual(["join_path", "lengths", "type_of", "broken", "diagnostic", "wrong_type", "nothing", "slow"]);
    const join = schema.functions.join_path!;
    expect(join.summary).toBe("Joins relative path segments with /");
    expect(join.parameters.map((p) => ({ ...p, type: text(p.type) }))).toEqual([
      { name: "first", type: '"string"', allowNullValue: false, allowUnknownValues: false, description: "The first segment.", descriptionKind: 0 },
    ]);
    expect(text(join.variadicParameter!.type)).toBe('"string"');
    expect(text(join.return.type)).toBe('"string"');
    const lengthsWire = schema.functions.lengths!;
    expect(lengthsWire.parameters[0]).toMatchObject({ allowNullValue: true, allowUnknownValues: true });
    expect(text(lengthsWire.parameters[0]!.type)).toBe('["list","string"]');
    expect(text(lengthsWire.return.type)).toBe('["map","number"]');
    expect(lengthsWire.variadicParameter).toBeUndefined();
    expect(s.getFunctions().functions).toEqual(schema.functions);
    expect(s.getMetadata().functions).toEqual(Object.keys(schema.functions).map((name) => ({ name })));
  });

  it("calls one: positional and variadic arguments decoded by their types, the result encoded by the return type", async () => {
    const s = server();
    const r = await s.callFunction({ name: "join_path", arguments: [arg("a", "string"), arg("b", "string"), arg("c.txt", "string")] });
    expect(r.error).toBeUndefined();
    expect(fromDynamicValue(r.result!, "string")).toBe("a/b/c.txt");
    const one = await s.callFunction({ name: "join_path", arguments: [arg("only", "string")] });
    expect(fromDynamicValue(one.result!, "string")).toBe("only");
    const map = await s.callFunction({ name: "lengths", arguments: [arg(["ab", "cde"], { list: "string" })] });
    expect(fromDynamicValue(map.result!, { map: "number" })).toEqual({ ab: 2, cde: 3 });
  });

  it("passes null and unknown arguments to parameters that allow them, and may return unknown", async () => {
    const s = server();
    const nulled = await s.callFunction({ name: "lengths", arguments: [arg(null, { list: "string" })] });
    expect(fromDynamicValue(nulled.result!, { map: "number" })).toEqual({});
    const unknownArg = await s.callFunction({ name: "lengths", arguments: [arg(unknown(), { list: "string" })] });
    expect(isUnknown(fromDynamicValue(unknownArg.result!, { map: "number" }))).toBe(true);
  });

  it("a dynamic parameter gets { type, value }; a dynamic result carries its type", async () => {
    const r = await server().callFunction({ name: "type_of", arguments: [arg(dynamic({ list: "number" }, [1, 2]), "dynamic")] });
    expect(r.error).toBeUndefined();
    expect(fromDynamicValue(r.result!, "dynamic")).toEqual({ type: "string", value: '["list","number"]' });
  });

  it("a FunctionError keeps its argument position (variadic arguments continue the count)", async () => {
    const r = await server().callFunction({ name: "join_path", arguments: [arg("a", "string"), arg("ok", "string"), arg("../up", "string")] });
    expect(r).toEqual({ error: { text: '"../up" is not a relative path inside the directory', functionArgument: 2n } });
    const first = await server().callFunction({ name: "join_path", arguments: [arg("/abs", "string")] });
    expect(first.error?.functionArgument).toBe(0n);
  });

  it("other failures are function errors too, naming the function: a thrown Error, a DiagnosticError, a wrong or missing result", async () => {
    const s = server();
    expect((await s.callFunction({ name: "broken", arguments: [] })).error).toEqual({ text: "Unexpected error in function broken: disk on fire" });
    expect((await s.callFunction({ name: "diagnostic", arguments: [] })).error).toEqual({ text: "Not today: try tomorrow" });
    expect((await s.callFunction({ name: "wrong_type", arguments: [] })).error?.text).toMatch(
      /^Function wrong_type returned a value that is not of its return type "number": /,
    );
    expect((await s.callFunction({ name: "nothing", arguments: [] })).error?.text).toMatch(/^Function nothing returned nothing/);
  });

  it("bad calls: an unknown function, the wrong number of arguments, an argument its type cannot decode", async () => {
    const s = server();
    expect((await s.callFunction({ name: "nope", arguments: [] })).error?.text).toMatch(/^This provider has no function "nope" \(it has join_path, lengths/);
    expect((await s.callFunction({ name: "join_path", arguments: [] })).error?.text).toBe("Function join_path takes at least 1 arguments, but 0 were given.");
    expect((await s.callFunction({ name: "type_of", arguments: [] })).error?.text).toBe("Function type_of takes 1 argument, but 0 were given.");
    const wrong = await s.callFunction({ name: "join_path", arguments: [arg("a", "string"), arg(7, "number")] });
    expect(wrong.error?.functionArgument).toBe(1n);
    expect(wrong.error?.text).toMatch(/^Invalid value for "rest" parameter: /);
  });

  it("StopProvider aborts a running function's signal: the call ends with 'Operation cancelled'", async () => {
    const s = server();
    const started = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    const call = s.callFunction({ name: "slow", arguments: [] });
    await started;
    s.stopProvider();
    expect((await call).error?.text).toBe("Operation cancelled: Terraform asked the provider to stop.");
  });

  it("needs no configured provider (Terraform calls functions without ConfigureProvider)", async () => {
    const r = await server().callFunction({ name: "join_path", arguments: [arg("x", "string")] });
    expect(fromDynamicValue(r.result!, "string")).toBe("x");
  });

  it("refuses bad definitions when served, naming the function and what is wrong", () => {
    const make = (functions: Record<string, unknown>) => () => new ProviderServer({ name: "p", schema: { attributes: {} }, functions } as never, quiet);
    const fn = { parameters: [], returns: "string", run: () => "" };
    expect(make({ "Bad-Name": fn })).toThrow(/function "Bad-Name": names must be lowercase/);
    expect(
      make({
        f: {
          ...fn,
          parameters: [
            { name: "a", type: "string" },
            { name: "a", type: "number" },
          ],
        },
      }),
    ).toThrow(/function "f": parameter 2: "a" is the name of another parameter/);
    expect(make({ f: { ...fn, variadic: { name: "", type: "string" } } })).toThrow(/function "f": parameter 1 \(variadic\): a name of lowercase/);
    expect(make({ f: { ...fn, returns: "text" } })).toThrow(/function "f": return type: /);
    expect(make({ f: { ...fn, run: undefined } })).toThrow(/function "f" has no run function/);
  });

  it("FunctionError takes only a non-negative integer argument position", () => {
    expect(() => new FunctionError("x", { argument: -1 })).toThrow(RangeError);
    expect(new FunctionError("x", { argument: 3 }).argument).toBe(3);
  });
});
