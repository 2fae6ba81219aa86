/**
 * Streaming record readers: JSON Lines read line by line, and top-level JSON arrays split into elements
 * without loading the whole file (a character scanner that tracks strings and nesting depth), so files
 * larger than memory or than V8's string limit can be ingested. Each record carries its 1-based line.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { DataError } from "../core/errors.js";

export interface SourceRecord {
  value: unknown;
  /** 1-based line where the record starts. */
  line: number;
  /** Bytes of the file read so far (for progress). */
  bytesRead: number;
}

/** `array` when the first non-whitespace character is `[`, otherwise `lines` (JSON Lines). */
export async function detectContainer(file: string): Promise<"array" | "lines"> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(4096);
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return "lines";
      const text = buffer
        .subarray(0, bytesRead)
        .toString("utf8")
        .replace(/^\uFEFF/, "");
      const match = /\S/.exec(text);
      if (match) return match[0] === "[" ? "array" : "lines";
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

function parseRecord(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DataError(
      `invalid JSON (${(error as Error).message}); fix or remove this record`,
      { file, line },
      {
        cause: error,
      },
    );
  }
}

/** One JSON value per non-blank line. */
export async function* readJsonLines(file: string): AsyncGenerator<SourceRecord> {
  const stream = createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let bytesRead = 0;
  try {
    for await (const raw of lines) {
      line++;
      bytesRead += Buffer.byteLength(raw, "utf8") + 1;
      const text = line === 1 ? raw.replace(/^\uFEFF/, "") : raw;
      if (text.trim() === "") continue;
      yield { value: parseRecord(text, file, line), line, bytesRead };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** The elements of a top-level JSON array, parsed one at a time. */
export async function* readJsonArray(file: string): AsyncGenerator<SourceRecord> {
  const stream = createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 20 });
  let line = 1;
  let state: "before-array" | "in-array" | "after-array" = "before-array";
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element: string[] = [];
  let elementStart = 0; // index in the current chunk where the element text starts, -1 when not in an element
  let elementLine = 0;
  let inElement = false;
  let expectValue = true; // after `[` or `,`
  let bytesRead = 0;
  let first = true;
  const fail = (message: string): never => {
    throw new DataError(message, { file, line });
  };
  try {
    for await (const piece of stream) {
      let chunk = piece as string;
      bytesRead += Buffer.byteLength(chunk, "utf8");
      if (first) {
        chunk = chunk.replace(/^\uFEFF/, "");
        first = false;
      }
      elementStart = inElement ? 0 : -1;
      const pending: SourceRecord[] = [];
      for (let index = 0; index < chunk.length; index++) {
        const char = chunk.charCodeAt(index);
        if (char === 10) line++;
        if (inString) {
          if (escaped) escaped = false;
          else if (char === 92) escaped = true;
          else if (char === 34) inString = false;
          continue;
        }
        if (state === "before-array") {
          if (char === 91) state = "in-array";
          else if (char > 32) fail("expected a JSON array ([ ... ]) at the top level");
          continue;
        }
        if (state === "after-array") {
          if (char > 32) fail("unexpected text after the end of the top-level JSON array");
          continue;
        }
        if (!inElement) {
          if (char <= 32) continue;
          if (char === 93) {
            // `]`: end of the array (valid after `[` or after an element, not after a trailing comma)
            if (expectValue && elementLine !== 0) fail("trailing comma before ] in the JSON array");
            state = "after-array";
            continue;
          }
          if (char === 44) {
            if (expectValue) fail("unexpected comma in the JSON array (missing element)");
            expectValue = true;
            continue;
          }
          if (!expectValue) fail("expected , or ] between JSON array elements");
          inElement = true;
          expectValue = false;
          elementStart = index;
          elementLine = line;
          depth = 0;
        }
        // inside an element
        if (char === 34) inString = true;
        else if (char === 123 || char === 91) depth++;
        else if (char === 125 || char === 93) {
          if (depth === 0) {
            // closes the outer array right after a scalar element
            element.push(chunk.slice(elementStart, index));
            pending.push({ value: parseRecord(element.join(""), file, elementLine), line: elementLine, bytesRead });
            element = [];
            inElement = false;
            state = "after-array";
            continue;
          }
          depth--;
          if (depth === 0) {
            element.push(chunk.slice(elementStart, index + 1));
            pending.push({ value: parseRecord(element.join(""), file, elementLine), line: elementLine, bytesRead });
            element = [];
            inElement = false;
          }
        } else if (char === 44 && depth === 0) {
          // end of a scalar element
          element.push(chunk.slice(elementStart, index));
          pending.push({ value: parseRecord(element.join(""), file, elementLine), line: elementLine, bytesRead });
          element = [];
          inElement = false;
          expectValue = true;
        }
      }
      if (inElement) element.push(chunk.slice(elementStart));
      yield* pending;
    }
  } finally {
    stream.destroy();
  }
  if (state === "before-array") fail("expected a JSON array ([ ... ]) at the top level");
  if (state === "in-array") fail("the JSON array is not closed (file truncated?)");
}

/** Records of a file: JSON array elements or JSON Lines, whichever the file holds. */
export async function* readRecords(file: string): AsyncGenerator<SourceRecord> {
  const container = await detectContainer(file);
  yield* container === "array" ? readJsonArray(file) : readJsonLines(file);
}
