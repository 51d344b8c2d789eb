import { readFileSync } from "node:fs";

/** The package version, read from package.json beside `src/` or `dist/src/`, so it works from both. */
export const version: string = (() => {
  for (const path of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "hermes-proxy" && pkg.version) return pkg.version;
    } catch {}
  }
  return "0.0.0";
})();
