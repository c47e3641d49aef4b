#!/usr/bin/env node
// Published entry point of the `loci` command (the build emits dist/cli/main.js).
await import("../dist/cli/main.js");
