import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "./errors.ts";
import { looksLikePath } from "./mask.ts";
import type { HermesConfig } from "./schema.ts";

/** The certificate chain and private key as PEM text, ready for the listener. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

/** A value that is the PEM text itself rather than the name of a file holding it. */
export function isPem(value: string): boolean {
  return value.trimStart().startsWith("-----BEGIN ");
}

/**
 * `server.tls` read and proven usable before anything listens: each of `cert` and `key` is PEM text or
 * a file path (relative to `cwd`), and the pair must load into a TLS context (so a key that does not
 * match its certificate is reported here, naming the fields, not as an OpenSSL code at listen time).
 *
 * @throws {ConfigError} code `startup_refused`; the message never contains key material.
 * @example
 * readTls({ cert: "./cert.pem", key: "./key.pem" }, process.cwd()); // { cert: "-----BEGIN CERTIFICATE-----…", key: "…" }
 */
export function readTls(tls: HermesConfig["server"]["tls"], cwd: string): TlsMaterial | undefined {
  if (tls === undefined) return undefined;
  const material = { cert: readPem("cert", tls.cert, cwd), key: readPem("key", tls.key, cwd) };
  // Not `import … from "node:tls"`: an ESM import of a built-in reads all its exports, and node:tls's
  // `rootCertificates` getter then parses Node's whole CA bundle (~0.4 MiB held by every proxy).
  const { createSecureContext } = process.getBuiltinModule("node:tls");
  try {
    createSecureContext(material);
  } catch (error) {
    throw refused(`server.tls: the certificate and key cannot be used together (${describe(error)})`, error);
  }
  return material;
}

function readPem(field: "cert" | "key", value: string, cwd: string): string {
  if (isPem(value)) return value;
  const path = resolve(cwd, value);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    // A key given inline but not as PEM would otherwise be echoed in the message: name it by its field.
    const showable = field === "cert" || looksLikePath(value);
    const shown = showable ? ` ${JSON.stringify(value)}` : "";
    throw refused(`server.tls.${field}: cannot read the file${shown} (${describe(error, showable)}); give a file path or the PEM text`);
  }
  if (!isPem(text)) throw refused(`server.tls.${field}: ${JSON.stringify(value)} does not hold PEM text (-----BEGIN …)`);
  return text;
}

/** Node's file errors repeat the path: only the code when the value may be key material. */
function describe(error: unknown, withMessage = true): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  if (!withMessage) return typeof code === "string" ? code : "unreadable";
  return error instanceof Error ? error.message : String(error);
}

function refused(message: string, cause?: unknown): ConfigError {
  return new ConfigError(message, { code: "startup_refused", problems: [message], cause });
}
