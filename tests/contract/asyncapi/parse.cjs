// Parses an AsyncAPI document with @asyncapi/parser and prints its diagnostics as JSON lines.
// Usage: node parse.cjs <folder holding node_modules/@asyncapi/parser> <document>
// Exit status: 0 when no diagnostic is an error, 1 otherwise.
"use strict";
const fs = require("fs");
const [modules, document] = process.argv.slice(2);
const { Parser, DiagnosticSeverity } = require(require.resolve("@asyncapi/parser", { paths: [modules] }));

(async () => {
  const parser = new Parser();
  const { document: parsed, diagnostics } = await parser.parse(fs.readFileSync(document, "utf8"));
  for (const d of diagnostics) {
    console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
  }
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  process.exit(errors.length === 0 && parsed !== undefined ? 0 : 1);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
