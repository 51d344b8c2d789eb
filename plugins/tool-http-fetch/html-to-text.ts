/**
 * Readable text from an HTML page: what a model needs, without markup, scripts or styles. Not a full
 * HTML parser: a few passes of patterns that hold up on real pages and never run the page's code.
 */

const dropped = /<(script|style|noscript|template|svg|iframe|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const blocks =
  /<\/?(?:p|div|section|article|main|header|footer|nav|aside|h[1-6]|ul|ol|table|tr|blockquote|pre|form|figure|figcaption|details|summary|hr)\b[^>]*>/gi;

/** The named entities pages use most; any other stays as written (numeric ones are all decoded). */
const named: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  mdash: "—",
  ndash: "–",
  hellip: "…",
  bull: "•",
  middot: "·",
  copy: "©",
  reg: "®",
  trade: "™",
  deg: "°",
  times: "×",
  divide: "÷",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  sect: "§",
  rsquo: "’",
  lsquo: "‘",
  rdquo: "”",
  ldquo: "“",
  laquo: "«",
  raquo: "»",
  eacute: "é",
  egrave: "è",
  ecirc: "ê",
  euml: "ë",
  aacute: "á",
  agrave: "à",
  acirc: "â",
  auml: "ä",
  aring: "å",
  iacute: "í",
  igrave: "ì",
  icirc: "î",
  iuml: "ï",
  oacute: "ó",
  ograve: "ò",
  ocirc: "ô",
  ouml: "ö",
  oslash: "ø",
  uacute: "ú",
  ugrave: "ù",
  ucirc: "û",
  uuml: "ü",
  ccedil: "ç",
  ntilde: "ñ",
  szlig: "ß",
  Eacute: "É",
  Agrave: "À",
  Auml: "Ä",
  Ouml: "Ö",
  Uuml: "Ü",
  Ccedil: "Ç",
  Ntilde: "Ñ",
};

/** The page's `<title>`, entities decoded, if it has one. */
export function htmlTitle(html: string): string | undefined {
  const match = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  const title = match ? collapse(decodeEntities(match[1] as string)) : "";
  return title === "" ? undefined : title;
}

/**
 * @example
 * htmlToText("<h1>Hi</h1><p>One &amp; two</p><script>x()</script>"); // "Hi\n\nOne & two"
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(dropped, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<\/(?:td|th)\s*>/gi, " ")
    .replace(blocks, "\n\n")
    .replace(/<[^>]*>/g, "");
  return decodeEntities(text)
    .split("\n")
    .map(collapse)
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function collapse(line: string): string {
  return line.replace(/[ \t\f\v\r\u00a0]+/g, " ").trim();
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return named[body] ?? named[body.toLowerCase()] ?? entity;
  });
}
