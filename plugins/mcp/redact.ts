/**
 * Hides the values of a server's `env` and `headers` in what the plugin logs or reports: an error
 * message or a line of the child's stderr may quote a token it was given. Values shorter than 4
 * characters are left alone (they would blank out ordinary words and cannot be much of a secret).
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((value) => value.length >= 4))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((out, value) => out.split(value).join("***"), text);
}
