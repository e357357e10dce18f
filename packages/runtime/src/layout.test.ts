/**
 * The runtime's folders are its layers, and this test keeps them so: no
 * import circle between modules, and the arrows run one way —
 *
 *   index.ts ─┬─> host/ ──┐
 *             └─> plugin/ ┴─> services/, protocol/ ─> rpc/, yamux/ ─> util/
 *
 * host/ and plugin/ never import each other; nothing below them imports
 * either; the engines (rpc/, yamux/) and util/ know nothing of go-plugin's
 * protocol. Type-only imports count too: they are how circles start.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = path.dirname(fileURLToPath(import.meta.url));

function modules(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "testdata" ? [] : modules(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path.relative(src, full)] : [];
  });
}

const IMPORT = /(?:\bfrom|\bimport\(|^import)\s*"(\.{1,2}\/[^"]+)"/gm;

/** Each module's relative imports, as module paths under src. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of modules()) {
    const text = readFileSync(path.join(src, file), "utf8");
    const targets = [...text.matchAll(IMPORT)].map((match) => path.normalize(path.join(path.dirname(file), (match[1] as string).replace(/\.js$/, ".ts"))));
    graph.set(file, targets);
  }
  return graph;
}

function findCircle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const trail: string[] = [];
  const visit = (file: string): string[] | undefined => {
    state.set(file, "open");
    trail.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") return [...trail.slice(trail.indexOf(next)), next];
      if (!state.has(next)) {
        const circle = visit(next);
        if (circle) return circle;
      }
    }
    trail.pop();
    state.set(file, "done");
    return undefined;
  };
  for (const file of graph.keys()) {
    if (state.has(file)) continue;
    const circle = visit(file);
    if (circle) return circle;
  }
  return undefined;
}

const folderOf = (file: string) => (file.includes(path.sep) ? (file.split(path.sep)[0] as string) : ".");

/** Which folders a folder may not import from ("." is the top-level modules other than index.ts). */
const FORBIDDEN: Record<string, string[]> = {
  host: ["plugin"],
  plugin: ["host"],
  services: ["host", "plugin"],
  protocol: ["host", "plugin", "services"],
  gen: ["host", "plugin"],
  ".": ["host", "plugin"],
  rpc: ["host", "plugin", "protocol", "services", "yamux", "gen", "."],
  yamux: ["host", "plugin", "protocol", "services", "rpc", "gen", "."],
  util: ["host", "plugin", "protocol", "services", "rpc", "yamux", "gen", "."],
};

describe("runtime layout", () => {
  const graph = importGraph();

  it("finds the modules and their imports (the check below has something to check)", () => {
    expect(graph.get(path.join("host", "client.ts"))).toContain(path.join("protocol", "handshake.ts"));
    expect(graph.get(path.join("plugin", "serve.ts"))).toContain(path.join("plugin", "multiplex.ts")); // a dynamic import
    expect(graph.size).toBeGreaterThan(50);
  });

  it("has no import circle", () => {
    expect(findCircle(graph)).toBeUndefined();
    // The finder itself finds one when there is one.
    expect(
      findCircle(
        new Map([
          ["a.ts", ["b.ts"]],
          ["b.ts", ["c.ts"]],
          ["c.ts", ["a.ts"]],
        ]),
      ),
    ).toEqual(["a.ts", "b.ts", "c.ts", "a.ts"]);
  });

  it("imports only downwards: host/ and plugin/ apart, the engines below the protocol", () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      if (file === "index.ts") continue;
      const forbidden = FORBIDDEN[folderOf(file)] ?? [];
      for (const target of targets) if (forbidden.includes(folderOf(target))) wrong.push(`${file} → ${target}`);
    }
    expect(wrong).toEqual([]);
  });
});
