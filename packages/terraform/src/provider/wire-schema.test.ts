import { describe, expect, it } from "vitest";
import { checkBlock, toWireSchema } from "./wire-schema.js";

describe("toWireSchema", () => {
  it("writes attributes and nested blocks sorted by name, types as JSON, flags and deprecation", () => {
    const schema = toWireSchema(
      {
        attributes: {
          zeta: { type: { list: "string" }, optional: true, sensitive: true },
          alpha: { type: "number", computed: true, description: "a number", deprecated: "use beta" },
        },
        blocks: { rule: { nesting: "set", minItems: 1, maxItems: 3, block: { attributes: { port: { type: "number", required: true } } } } },
        deprecated: true,
      },
      4,
    );
    expect(schema.version).toBe(4n);
    expect(schema.block.deprecated).toBe(true);
    expect(schema.block.attributes.map((a) => a.name)).toEqual(["alpha", "zeta"]);
    const [alpha, zeta] = schema.block.attributes;
    expect(new TextDecoder().decode(zeta!.type)).toBe('["list","string"]');
    expect(zeta).toMatchObject({ optional: true, sensitive: true, required: false, computed: false, deprecated: false });
    expect(alpha).toMatchObject({ computed: true, description: "a number", deprecated: true, deprecationMessage: "use beta" });
    expect(schema.block.blockTypes).toMatchObject([{ typeName: "rule", nesting: 3, minItems: 1n, maxItems: 3n }]);
  });
});

describe("checkBlock", () => {
  const check =
    (block: Parameters<typeof checkBlock>[0], resource = true) =>
    () =>
      checkBlock(block, 'resource "x_y"', { resource });
  it("names what is wrong", () => {
    expect(check({ attributes: { Bad: { type: "string", required: true } } })).toThrow(/attribute "Bad": names must be lowercase/);
    expect(check({ attributes: { a: { type: "string", optional: true, useStateForUnknown: true } } })).toThrow(/useStateForUnknown only applies to computed/);
    expect(check({ attributes: { a: { type: "string", required: true, requiresReplace: true } } }, false)).toThrow(/only apply to resource schemas/);
    expect(check({ attributes: { a: { type: "string", required: true } }, blocks: { a: { nesting: "list", block: { attributes: {} } } } })).toThrow(
      /same name as an attribute/,
    );
    expect(check({ attributes: {}, blocks: { b: { nesting: "single", minItems: 1, block: { attributes: {} } } } })).toThrow(/only apply to list and set/);
    expect(check({ attributes: {}, blocks: { b: { nesting: "list", minItems: 3, maxItems: 2, block: { attributes: {} } } } })).toThrow(/do not make a range/);
  });
});
