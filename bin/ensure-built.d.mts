/** dist/ was built after the last change to a source of the checkout at `root`, from the same set of files. */
export function isBuilt(root?: string): boolean;
/** Compiles src/, sdk/ and plugins/ into dist/ (incrementally, unless the set of files changed or `clean` asks for an emptied dist/). */
export function build(options?: { clean?: boolean; root?: string }): void;
/** Builds dist/ when a checkout's sources changed since its last build; a no-op in the published package. */
export function ensureBuilt(options?: { root?: string }): Promise<void>;
