import { networkInterfaces } from "node:os";
import { isLoopbackHost } from "../config/loopback.ts";

const anyHosts = new Set(["0.0.0.0", "::"]);

/** `http://[::1]:8642`: IPv6 literals take brackets in URLs. */
export function listeningURL(host: string, port: number, protocol: "http" | "https" = "http"): string {
  return `${protocol}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The URLs other machines use: the host itself when it is a specific address, every external
 * interface when it is the any-address (IPv6 ones only for `::`), nothing on loopback.
 *
 * @example
 * networkURLs("0.0.0.0", 8642); // ["http://192.168.1.20:8642/"]
 */
export function networkURLs(host: string, port: number, protocol: "http" | "https" = "http"): string[] {
  if (isLoopbackHost(host)) return [];
  const url = (address: string) => `${listeningURL(address, port, protocol)}/`;
  if (!anyHosts.has(host)) return [url(host)];
  const withIPv6 = host.includes(":");
  const addresses = new Set<string>();
  for (const details of Object.values(networkInterfaces())) {
    for (const detail of details ?? []) {
      const ipv6 = detail.family === "IPv6";
      if (detail.internal || detail.mac === "00:00:00:00:00:00" || (ipv6 && !withIPv6)) continue;
      if (detail.address.startsWith("fe80::") || detail.address.startsWith("169.254.")) continue;
      addresses.add(detail.address);
    }
  }
  return [...addresses].sort().map(url);
}
