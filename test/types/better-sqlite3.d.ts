// better-sqlite3 ships no types; the durability test only opens a file and runs one statement.
declare module "better-sqlite3" {
  interface Statement {
    run(...params: unknown[]): unknown;
  }
  export default class Database {
    constructor(path: string);
    prepare(sql: string): Statement;
    close(): void;
  }
}
