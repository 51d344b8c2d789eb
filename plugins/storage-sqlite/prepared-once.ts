import type { Connector, PreparedStatement, Primitive, Statement } from "db0";

/** What the wrapper needs of a better-sqlite3 `Database`: its statements. */
interface SqliteDatabase {
  prepare(sql: string): { all(...params: unknown[]): unknown[]; get(...params: unknown[]): unknown; run(...params: unknown[]): { changes: number } };
}

/** The driver uses about ten distinct statements; this bound only guards against a caller that builds SQL per key. */
const maxStatements = 100;

/**
 * db0's better-sqlite3 connector compiles every statement again on every call: on a SQLite storage
 * under load, `prepare` was the proxy's largest single cost (10 % of its CPU). This connector keeps
 * each compiled statement for the life of the database; the rest (`exec`, `dispose`) is db0's own.
 */
export function preparedOnce(connector: Connector<SqliteDatabase>): Connector<SqliteDatabase> {
  const compiled = new Map<string, Promise<ReturnType<SqliteDatabase["prepare"]>>>();
  const compile = (sql: string) => {
    let statement = compiled.get(sql);
    if (!statement) {
      if (compiled.size >= maxStatements) compiled.clear();
      statement = Promise.resolve(connector.getInstance()).then((database) => database.prepare(sql));
      // A statement that failed to compile is not kept: the next call reports its error again.
      statement.catch(() => compiled.delete(sql));
      compiled.set(sql, statement);
    }
    return statement;
  };
  const prepare = (sql: string): Statement => {
    const all = async (...params: Primitive[]) => (await compile(sql)).all(...params);
    const get = async (...params: Primitive[]) => (await compile(sql)).get(...params);
    const run = async (...params: Primitive[]) => {
      const result = (await compile(sql)).run(...params);
      return { success: result.changes > 0, ...result };
    };
    const bound = (params: Primitive[]): PreparedStatement => ({
      bind: (...next) => bound(next),
      all: () => all(...params),
      get: () => get(...params),
      run: () => run(...params),
    });
    return { bind: (...params) => bound(params), all, get, run };
  };
  return {
    ...connector,
    prepare,
    dispose: async () => {
      compiled.clear();
      await connector.dispose?.();
    },
  };
}
