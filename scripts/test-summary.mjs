#!/usr/bin/env node
// Prints "N passed, N failed" from vitest's JSON report (what CI reads).
import { existsSync, readFileSync } from "node:fs";

const file = process.argv[2] ?? ".cache/test-results.json";
if (!existsSync(file)) {
  console.log("0 passed, 1 failed");
  console.error(`no test report at ${file}: the test run did not get as far as running tests`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, "utf8"));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A test file that fails to load counts as a failure even though it has no test results.
const failedSuites = (report.testResults ?? []).filter((suite) => suite.status === "failed" && suite.assertionResults.length === 0).length;
// What the run left behind (test/support/leak-check.ts), each a failure.
const leftoversFile = ".cache/test-leftovers.txt";
const leftovers = existsSync(leftoversFile) ? readFileSync(leftoversFile, "utf8").split("\n").filter(Boolean) : [];
for (const line of leftovers) console.error(`left behind by the test run: ${line}`);
const failed = report.numFailedTests + failedSuites + leftovers.length;
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || report.numPassedTests === 0 ? 1 : 0);
