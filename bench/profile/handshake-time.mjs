#!/usr/bin/env node
// Spawn → handshake line of any plugin commands (no TLS, no host connection), next to a `node -e`
// that prints a line, alternated round by round (bench/startup.mjs measures; this prints). Answers
// "how far above bare node does a plugin start" without any host in the way.
//
//   node bench/profile/handshake-time.mjs [--rounds 15] <label>=<command> ...
//   e.g. ts=bench/plugin bundled=/tmp/bundle/plugin.mjs built=/tmp/plugin
import os from "node:os";
import { measureHandshakes, NODE_LINE } from "../startup.mjs";

const args = process.argv.slice(2);
const rounds = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : 15;
const commands = Object.fromEntries(
  args
    .filter((a) => a.includes("="))
    .map((a) => {
      const [label, command] = a.split("=");
      return [label, command.endsWith(".mjs") || command.endsWith(".js") ? [process.execPath, command] : [command]];
    }),
);
const { wall, cpu } = await measureHandshakes(commands, rounds);
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const med = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
for (const [title, byLabel] of [
  [
    `spawn → first line, wall ms, ${rounds} rounds; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join("/")}`,
    wall,
  ],
  [`CPU ms (all threads) until the line, ${rounds} rounds`, cpu],
]) {
  console.log(title);
  const base = med(byLabel[NODE_LINE]);
  for (const [label, xs] of Object.entries(byLabel)) {
    const s = sorted(xs);
    console.log(
      `${label.padEnd(28)} median ${med(xs).toFixed(1).padStart(6)}  min ${s[0].toFixed(1).padStart(6)}  max ${s[s.length - 1].toFixed(1).padStart(6)}  median − floor ${(med(xs) - base).toFixed(1).padStart(6)}`,
    );
  }
}
