/** Every `drkit/<area>` export in package.json resolves to a module of the source tree with a public API. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  exports: Record<string, string>;
};

describe("package exports", () => {
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    it(`${subpath} has exports`, async () => {
      const source = target.replace("./dist/", "../src/").replace(/\.js$/, ".ts");
      const module = (await import(source)) as Record<string, unknown>;
      expect(Object.keys(module).length).toBeGreaterThan(0);
    });
  }
});
