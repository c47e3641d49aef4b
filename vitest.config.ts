import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Tests run against TypeScript sources, never stale builds: every workspace package's `exports`
 * map is turned into aliases `@loci/<pkg><subpath>` -> `<dir>/src<subpath>.ts` (the tRPC approach).
 */
function sourceAliases(): { find: string | RegExp; replacement: string }[] {
  const aliases: { find: string | RegExp; replacement: string }[] = [];
  for (const group of ["packages", "adapters"]) {
    const root = resolve(group);
    if (!existsSync(root)) continue;
    for (const dir of readdirSync(root)) {
      const pkgFile = join(root, dir, "package.json");
      if (!existsSync(pkgFile)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
        name: string;
        exports?: Record<string, unknown>;
      };
      for (const key of Object.keys(pkg.exports ?? {})) {
        if (key === "./package.json") continue;
        const sub = key === "." ? "" : key.slice(1);
        const file = key === "." ? "index.ts" : `${key.slice(2)}.ts`;
        aliases.push({ find: new RegExp(`^${pkg.name}${sub}$`), replacement: join(root, dir, "src", file) });
      }
    }
  }
  return aliases;
}

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "adapters/*/src/**/*.test.ts",
      "test/**/*.test.ts",
      "examples/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
