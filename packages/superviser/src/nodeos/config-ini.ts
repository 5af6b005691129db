import { SuperviserErrors } from "../errors/index.js";

/** One line of a config.ini: a key/value pair, or anything else kept verbatim. */
export type IniEntry = { kind: "pair"; key: string; value: string } | { kind: "other"; raw: string };

/** A config.ini as ordered lines: repeated keys stay repeated and in order. */
export interface IniDocument {
  entries: IniEntry[];
}

/** Parses nodeos config.ini text; a value keeps every `=` after the first. */
export function parseIni(text: string): IniDocument {
  const entries: IniEntry[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";") || /^\[.*\]$/.test(line)) {
      entries.push({ kind: "other", raw });
      return;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw SuperviserErrors.configIni(`line ${i + 1} is not "key = value": ${JSON.stringify(raw)}`);
    entries.push({ kind: "pair", key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  });
  return { entries };
}

/** Writes the document back, one `key = value` per pair, other lines as they were. */
export function formatIni(doc: IniDocument): string {
  return `${doc.entries.map((e) => (e.kind === "pair" ? `${e.key} = ${e.value}` : e.raw)).join("\n")}\n`;
}

/** Every value of a key, in order. */
export function getValues(doc: IniDocument, key: string): string[] {
  const out: string[] = [];
  for (const e of doc.entries) if (e.kind === "pair" && e.key === key) out.push(e.value);
  return out;
}

/** Replaces every value of a key with `values`, where the key first was (or at the end); [] removes it. */
export function setValues(doc: IniDocument, key: string, values: readonly string[]): void {
  const first = doc.entries.findIndex((e) => e.kind === "pair" && e.key === key);
  const kept = doc.entries.filter((e) => !(e.kind === "pair" && e.key === key));
  const at = first === -1 ? kept.length : first;
  const added: IniEntry[] = values.map((value) => ({ kind: "pair", key, value }));
  doc.entries = [...kept.slice(0, at), ...added, ...kept.slice(at)];
}
