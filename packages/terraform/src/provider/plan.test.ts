import { describe, expect, it } from "vitest";
import { isUnknown } from "../cty/index.js";
import { planChange } from "./plan.js";
import { type Block, nestedAttribute } from "./schema.js";

const block: Block = {
  attributes: {
    path: { type: "string", required: true, requiresReplace: true },
    content: { type: "string", required: true },
    sha256: { type: "string", computed: true },
    id: { type: "string", computed: true, useStateForUnknown: true },
    mode: { type: "string", optional: true, computed: true },
  },
  blocks: {
    owner: {
      nesting: "single",
      block: { attributes: { name: { type: "string", required: true, requiresReplace: true }, uid: { type: "number", computed: true } } },
    },
    rule: {
      nesting: "list",
      block: { attributes: { port: { type: "number", required: true, requiresReplace: true }, note: { type: "string", computed: true } } },
    },
  },
};

const config = { path: "a.txt", content: "hi", sha256: null, id: null, mode: null, owner: { name: "me", uid: null }, rule: [{ port: 80, note: null }] };

describe("planChange", () => {
  it("on create, marks computed attributes the config leaves null unknown, in nested blocks too", () => {
    const { planned, requiresReplace } = planChange(block, null, config, config);
    expect(planned?.path).toBe("a.txt");
    expect(isUnknown(planned?.sha256)).toBe(true);
    expect(isUnknown(planned?.id)).toBe(true);
    expect(isUnknown(planned?.mode)).toBe(true);
    expect(isUnknown((planned?.owner as Record<string, unknown> | undefined)?.uid)).toBe(true);
    expect(isUnknown((planned?.rule as Record<string, unknown>[] | undefined)?.[0]?.note)).toBe(true);
    expect(requiresReplace).toEqual([]);
  });

  it("keeps an optional+computed attribute the config sets", () => {
    const withMode = { ...config, mode: "0644" };
    expect(planChange(block, null, withMode, withMode).planned?.mode).toBe("0644");
  });

  const prior = { path: "a.txt", content: "hi", sha256: "abc", id: "a.txt", mode: "0600", owner: { name: "me", uid: 7 }, rule: [{ port: 80, note: "n" }] };

  it("plans no change when the proposed state equals the prior state", () => {
    const { planned, requiresReplace } = planChange(block, prior, prior, config);
    expect(planned).toEqual(prior);
    expect(requiresReplace).toEqual([]);
  });

  it("on an in-place update, marks computed attributes unknown except useStateForUnknown ones", () => {
    const proposed = { ...prior, content: "bye" };
    const { planned, requiresReplace } = planChange(block, prior, proposed, { ...config, content: "bye" });
    expect(planned?.content).toBe("bye");
    expect(isUnknown(planned?.sha256)).toBe(true);
    expect(planned?.id).toBe("a.txt");
    expect(requiresReplace).toEqual([]);
  });

  it("lists changed requiresReplace attributes, nested ones with their path", () => {
    const proposed = { ...prior, path: "b.txt", owner: { name: "you", uid: 7 }, rule: [{ port: 443, note: "n" }] };
    const { requiresReplace } = planChange(block, prior, proposed, config);
    expect(requiresReplace).toEqual([["path"], ["owner", "name"], ["rule", 0, "port"]]);
  });

  it("lists changed requiresReplace attributes inside nested attributes (list index, map key, single), not unchanged ones", () => {
    const target = { host: { type: "string", required: true, requiresReplace: true }, weight: { type: "number", optional: true } } as const;
    const nested: Block = {
      attributes: {
        targets: nestedAttribute("list", target, { optional: true }),
        by_name: nestedAttribute("map", target, { optional: true }),
        main: nestedAttribute("single", target, { optional: true }),
        whole: nestedAttribute("list", target, { optional: true, requiresReplace: true }),
      },
    };
    const before = {
      targets: [{ host: "a", weight: 1 }],
      by_name: { x: { host: "a", weight: 1 } },
      main: { host: "a", weight: 1 },
      whole: [{ host: "a", weight: 1 }],
    };
    const weightOnly = { targets: [{ host: "a", weight: 2 }], by_name: { x: { host: "a", weight: 2 } }, main: { host: "a", weight: 2 }, whole: before.whole };
    expect(planChange(nested, before, weightOnly, weightOnly).requiresReplace).toEqual([]);
    const hosts = {
      targets: [{ host: "b", weight: 1 }],
      by_name: { x: { host: "b", weight: 1 } },
      main: { host: "b", weight: 1 },
      whole: [{ host: "b", weight: 1 }],
    };
    expect(planChange(nested, before, hosts, hosts).requiresReplace).toEqual([
      ["whole"],
      ["targets", 0, "host"],
      ["by_name", { key: "x" }, "host"],
      ["main", "host"],
    ]);
  });

  it("plans null for a destroy", () => {
    expect(planChange(block, prior, null, null)).toEqual({ planned: null, requiresReplace: [] });
  });
});
