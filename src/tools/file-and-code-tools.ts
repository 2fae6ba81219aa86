/**
 * The file and code tools a run offers next to search and visit: `read_file` over attachment folders (the folders
 * given, plus those of the questions' attached files) and the `python` sandbox. Text protocols other than search-r1
 * and native tools get them; search-r1 keeps search only.
 */
import { dirname } from "node:path";
import { PythonTool } from "./python/python-tool.js";
import { ReadFileTool } from "./read-file/read-file-tool.js";
import type { Tool } from "./tool.js";

export interface FileAndCodeToolOptions {
  /** Offer `python`. */
  python?: boolean;
  /** Folders `read_file` may read (offered when any folder or attachment is given). */
  readFileRoots?: readonly string[];
  /** Attached files of the questions (their folders join the roots). */
  attachments?: readonly string[];
}

export function createFileAndCodeTools(options: FileAndCodeToolOptions): Tool[] {
  const roots = [
    ...new Set([...(options.readFileRoots ?? []), ...(options.attachments ?? []).map((file) => dirname(file))]),
  ];
  const tools: Tool[] = [];
  if (roots.length > 0) tools.push(new ReadFileTool({ roots }) as Tool);
  if (options.python) tools.push(new PythonTool() as Tool);
  return tools;
}

/** The question the agent sees when it comes with a file (GAIA): the question and the file's path for read_file. */
export function questionWithAttachment(question: string, attachment: string | undefined): string {
  return attachment ? `${question}\n\nAttached file: ${attachment}` : question;
}
