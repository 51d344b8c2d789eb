import net from "node:net";

/** Sends bytes exactly as written (for requests fetch refuses to make) and returns the whole raw response. */
export async function rawRequest(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  let response = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    response += chunk;
  });
  socket.write(request);
  await new Promise((resolve) => socket.once("close", resolve));
  return response;
}
