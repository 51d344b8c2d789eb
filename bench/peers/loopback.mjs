/**
 * Preloaded (`node --import`) into peers that listen on every interface and offer no option not to
 * (Portkey's gateway): a listen without a host listens on 127.0.0.1, as the bench's own servers do.
 */
import { Server } from "node:net";

const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  else if (args[0] !== null && typeof args[0] === "object" && args[0].host === undefined && args[0].path === undefined)
    args[0] = { ...args[0], host: "127.0.0.1" };
  return listen.apply(this, args);
};
