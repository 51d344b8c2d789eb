import type { ToolProgressEvent } from "../protocol/index.ts";

/** How far a running tool has got: the fields every wire format's progress event shares, absent ones left out. */
export function toolProgressFields(event: ToolProgressEvent): { progress: number; total?: number; message?: string } {
  return { progress: event.progress, ...(event.total !== undefined && { total: event.total }), ...(event.message !== undefined && { message: event.message }) };
}
