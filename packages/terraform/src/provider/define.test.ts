// Config and state types inferred from schemas. The @ts-expect-error lines are
// checked by `tsc -p tsconfig.test.json`: each fails the type check if the
// inferred type stops rejecting the wrong value.
import { describe, expect, it } from "vitest";
import type { CtyNumber } from "../cty/index.js";
import { defineResource } from "./define.js";
import type { ObjectOf } from "./schema.js";

const schema = {
  attributes: {
    name: { type: "string", required: true },
    size: { type: "number", optional: true },
    tags: { type: { map: "string" }, optional: true },
    ports: { type: { list: "number" }, computed: true },
  },
  blocks: {
    owner: { nesting: "single", block: { attributes: { login: { type: "string", required: true } } } },
    rule: { nesting: "list", block: { attributes: { allow: { type: "bool", required: true } } } },
  },
} as const;

type Value = ObjectOf<typeof schema>;

describe("inferred types", () => {
  it("types attributes by their cty type, optional ones nullable, nested blocks by nesting", () => {
    const value: Value = { name: "a", size: null, tags: { k: "v" }, ports: [80], owner: { login: "me" }, rule: [{ allow: true }] };
    const name: string = value.name;
    const size: number | CtyNumber | null = value.size;
    const tags: Record<string, string> | null = value.tags;
    const login: string | undefined = value.owner?.login;
    const allow: boolean | undefined = value.rule[0]?.allow;
    // @ts-expect-error a required string is never null
    value.name = null;
    // @ts-expect-error a map of strings holds strings
    value.tags = { k: 1 };
    // @ts-expect-error list blocks are arrays
    value.rule = { allow: true };
    // @ts-expect-error what create/update return is a partial state of the same types
    const returned: Partial<Value> = { ports: ["80"] };
    void returned;
    expect([name, size, tags, login, allow]).toEqual(["a", null, { k: "v" }, "me", true]);
  });

  it("types a resource's functions from its schema", () => {
    const resource = defineResource({
      schema,
      create({ config }) {
        // @ts-expect-error config.name is a string
        const wrong: number = config.name;
        void wrong;
        return { ports: [config.name.length] };
      },
      delete() {},
    });
    expect(resource.schema).toBe(schema);
  });
});
