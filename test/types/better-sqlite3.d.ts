// better-sqlite3 ships no types; tests open a file, run statements and hold a lock.
declare module "better-sqlite3" {
  interface Statement {
    run(...params: unknown[]): unknown;
  }
  export default class Database {
    constructor(path: string);
    prepare(sql: string): Statement;
    exec(sql: string): this;
    pragma(source: string): unknown;
    close(): void;
  }
}
