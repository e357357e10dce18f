import { describe, expect, it } from "vitest";
import { attributePath, DiagnosticError, Diagnostics, formatPath } from "./diagnostics.js";

describe("attribute paths", () => {
  const type = { object: { tags: { map: "string" }, rule: { list: { object: { port: "number" } } }, owner: { object: { name: "string" } } } } as const;

  it("resolves string steps against the type: map keys vs attribute names", () => {
    expect(attributePath(["tags", "a"], type)).toEqual({
      steps: [{ selector: { case: "attributeName", value: "tags" } }, { selector: { case: "elementKeyString", value: "a" } }],
    });
    expect(attributePath(["owner", "name"], type).steps[1]).toEqual({ selector: { case: "attributeName", value: "name" } });
    expect(attributePath(["rule", 0, "port"], type).steps).toEqual([
      { selector: { case: "attributeName", value: "rule" } },
      { selector: { case: "elementKeyInt", value: 0n } },
      { selector: { case: "attributeName", value: "port" } },
    ]);
  });

  it("takes { key } as a map key even without a type", () => {
    expect(attributePath(["tags", { key: "a" }]).steps[1]).toEqual({ selector: { case: "elementKeyString", value: "a" } });
  });

  it("refuses an index as the first step", () => {
    expect(() => attributePath([0])).toThrow(/step 0 must be an attribute name/);
  });

  it("formats paths as Terraform writes them", () => {
    expect(formatPath(["rule", 0, "port"])).toBe("rule[0].port");
    expect(formatPath(["tags", { key: "a" }])).toBe('tags["a"]');
  });
});

describe("Diagnostics", () => {
  it("collects errors and warnings in their wire form", () => {
    const diagnostics = new Diagnostics();
    diagnostics.warning("careful", "detail");
    expect(diagnostics.hasErrors).toBe(false);
    diagnostics.error("broken", undefined, ["path"]);
    expect(diagnostics.hasErrors).toBe(true);
    expect(diagnostics.toWire()).toEqual([
      { severity: 2, summary: "careful", detail: "detail" },
      { severity: 1, summary: "broken", detail: "", attribute: { steps: [{ selector: { case: "attributeName", value: "path" } }] } },
    ]);
  });

  it("DiagnosticError carries one diagnostic", () => {
    const error = new DiagnosticError("Invalid file path", { detail: "must be relative", path: ["path"] });
    expect(error.diagnostic).toEqual({ severity: "error", summary: "Invalid file path", detail: "must be relative", path: ["path"] });
    expect(error.message).toBe("Invalid file path: must be relative");
  });
});
