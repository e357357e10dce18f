#!/usr/bin/env node
// Times protoc-gen-rpcplugin's run() against protoc-gen-es's run() on the same
// large synthetic CodeGeneratorRequest, in-process (no protoc, no process
// start-up): the cost of generating, which runs next to protoc-gen-es's on
// every `buf generate`. Not a test; prints a table and the ratio.
//
//   npm run build && node packages/protoc-gen-rpcplugin/bench/generate.bench.mjs [--services 300] [--methods 10] [--runs 5]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FieldDescriptorProto_Label, FieldDescriptorProto_Type } from "@bufbuild/protobuf/wkt";
import esPlugin from "@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js";
import { protocGenRpcplugin } from "../dist/index.js";

const { values } = parseArgs({
  options: {
    services: { type: "string", default: "300" },
    methods: { type: "string", default: "10" },
    "services-per-file": { type: "string", default: "10" },
    runs: { type: "string", default: "5" },
  },
});
const services = Number(values.services);
const methods = Number(values.methods);
const perFile = Number(values["services-per-file"]);
const runs = Number(values.runs);
const kinds = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/**
 * `services` services of `methods` methods each, `perFile` services per file;
 * every method has its own request and response message (three fields each),
 * so protoc-gen-es has messages to generate as it does in real schemas, and
 * every element has a leading comment.
 */
function syntheticRequest(parameter) {
  const files = [];
  for (let fileIndex = 0; fileIndex * perFile < services; fileIndex++) {
    const messageType = [];
    const service = [];
    const location = [];
    for (let s = fileIndex * perFile; s < Math.min(services, (fileIndex + 1) * perFile); s++) {
      const method = [];
      for (let m = 0; m < methods; m++) {
        const [clientStreaming, serverStreaming] = kinds[m % kinds.length];
        for (const suffix of ["Request", "Response"]) {
          messageType.push({
            name: `S${s}M${m}${suffix}`,
            field: [
              { name: "id", number: 1, type: FieldDescriptorProto_Type.STRING, label: FieldDescriptorProto_Label.OPTIONAL, jsonName: "id" },
              { name: "count", number: 2, type: FieldDescriptorProto_Type.INT64, label: FieldDescriptorProto_Label.OPTIONAL, jsonName: "count" },
              { name: "tags", number: 3, type: FieldDescriptorProto_Type.STRING, label: FieldDescriptorProto_Label.REPEATED, jsonName: "tags" },
            ],
          });
        }
        location.push({ path: [6, service.length, 2, m], span: [0, 0, 0], leadingComments: ` Method ${m} of service ${s}.\n` });
        method.push({
          name: `Method${m}`,
          inputType: `.bench.f${fileIndex}.S${s}M${m}Request`,
          outputType: `.bench.f${fileIndex}.S${s}M${m}Response`,
          clientStreaming,
          serverStreaming,
        });
      }
      location.push({ path: [6, service.length], span: [0, 0, 0], leadingComments: ` Service ${s}.\n` });
      service.push({ name: `Service${s}`, method });
    }
    files.push({
      name: `bench/f${fileIndex}/service.proto`,
      package: `bench.f${fileIndex}`,
      syntax: "proto3",
      messageType,
      service,
      sourceCodeInfo: { location },
    });
  }
  return create(CodeGeneratorRequestSchema, {
    protoFile: files,
    fileToGenerate: files.map((file) => file.name),
    parameter,
  });
}

function time(plugin, request) {
  const samples = [];
  let bytes = 0;
  for (let i = 0; i < runs + 3; i++) {
    const start = performance.now();
    const response = plugin.run(request);
    const elapsed = performance.now() - start;
    if (i >= 3) samples.push(elapsed); // the first runs warm up the JIT
    bytes = response.file.reduce((sum, file) => sum + file.content.length, 0);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], bytes };
}

console.log(`${services} services x ${methods} methods (${services * methods * 2} messages), ${perFile} services per file, median of ${runs} runs`);
for (const parameter of ["target=ts,import_extension=js", "target=js+dts,import_extension=js"]) {
  const request = syntheticRequest(parameter);
  const es = time(esPlugin.protocGenEs, request);
  const ours = time(protocGenRpcplugin, request);
  console.log(`\n${parameter}`);
  for (const [name, result] of [
    ["protoc-gen-es", es],
    ["protoc-gen-rpcplugin", ours],
  ]) {
    console.log(
      `  ${name.padEnd(22)} median ${result.median.toFixed(1).padStart(7)} ms   min ${result.min.toFixed(1).padStart(7)} ms   ${(result.bytes / 1024).toFixed(0)} KiB out`,
    );
  }
  console.log(`  ratio rpcplugin / es: ${(ours.median / es.median).toFixed(2)}`);
}
