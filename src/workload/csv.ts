// A small RFC 4180 CSV reader for prompt datasets: quoted fields may hold commas, doubled quotes
// and line breaks, so each record carries the line it starts on for `file:line:` messages.

export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  fields: string[];
}

export interface CsvProblem {
  line: number;
  message: string;
}

/** Split CSV text into records; an unterminated quote is reported at the line it opened on. */
export function parseCsv(text: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let quotedFrom = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    fields.push(field);
    // A blank line is no record.
    if (!(fields.length === 1 && fields[0] === "")) records.push({ line: recordLine, fields });
    fields = [];
    field = "";
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quotedFrom > 0) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quotedFrom = 0;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === "") {
      quotedFrom = line;
    } else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      endRecord();
      if (c === "\r" && text[i + 1] === "\n") i++;
      line++;
      recordLine = line;
    } else {
      field += c;
    }
    i++;
  }
  if (quotedFrom > 0) problems.push({ line: quotedFrom, message: "quoted field is never closed" });
  else if (field !== "" || fields.length > 0) endRecord();
  return { records, problems };
}
