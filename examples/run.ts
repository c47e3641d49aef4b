/**
 * The example runner: `pnpm example <name>` runs `examples/<name>.ts` on the embedded default in a
 * fresh temporary data directory and prints what happens; `pnpm example` lists the examples.
 *
 * @module
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Example } from "./context.js";

const dir = import.meta.dirname;
const names = readdirSync(dir)
  .filter(
    (f) =>
      f.endsWith(".ts") && !f.endsWith(".test.ts") && !["run.ts", "context.ts", "engine-demo.ts"].includes(f),
  )
  .map((f) => f.slice(0, -3))
  .sort();

async function load(name: string): Promise<Example> {
  return ((await import(join(dir, `${name}.ts`))) as { example: Example }).example;
}

const name = process.argv[2];
if (!name || !names.includes(name)) {
  if (name) console.error(`unknown example "${name}"\n`);
  console.log("usage: pnpm example <name>\n");
  for (const n of names) console.log(`  ${n.padEnd(30)} ${(await load(n)).description}`);
  process.exit(name ? 1 : 0);
}
const dataDir = mkdtempSync(join(tmpdir(), `loci-example-${name}-`));
try {
  await (await load(name)).run({ dataDir, log: (line) => console.log(line) });
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
