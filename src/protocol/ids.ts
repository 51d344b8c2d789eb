/** Makes a prefixed random id such as `chatcmpl-…` or `msg_…`; codecs take one as an argument so tests can fix it. */
export type NewId = (prefix: string) => string;

/** `prefix` + 32 hex characters from the platform's CSPRNG. */
export const randomId: NewId = (prefix) => prefix + crypto.randomUUID().replaceAll("-", "");
