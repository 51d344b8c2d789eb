import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";

/**
 * Compares `actual` with a golden fixture file. `UPDATE_FIXTURES=1` rewrites the file instead, so a
 * deliberate change to a format shows up as a reviewable diff of the fixture.
 */
export function expectGolden(actual: string, fixture: URL): void {
  const path = fixture.pathname;
  if (process.env.UPDATE_FIXTURES === "1" || !existsSync(path)) {
    if (process.env.CI === "true" && !existsSync(path)) throw new Error(`missing golden fixture ${path}`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}
