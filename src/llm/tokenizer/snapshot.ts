/**
 * Find a model's tokenizer files on disk: a local Hugging Face snapshot directory, or a hub id (`Org/Name`)
 * resolved in the local Hugging Face cache (`$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`,
 * `models--Org--Name/snapshots/<revision>/`). Nothing is ever downloaded.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../core/errors.js";

export interface SnapshotFiles {
  /** The directory the files were read from. */
  directory: string;
  /** The name recorded in trajectories (the hub id when one was given, else the directory). */
  name: string;
  tokenizerJson: string;
  tokenizerConfigJson: string;
  /** `generation_config.json`, when the snapshot has one (eos ids). */
  generationConfigJson?: string;
  /** `chat_template.jinja`, when the template lives in its own file (newer snapshots). */
  chatTemplateFile?: string;
}

/** Hub cache roots, in the order huggingface_hub uses them. */
export function hubCacheRoots(environment: NodeJS.ProcessEnv = process.env): string[] {
  if (environment.HF_HUB_CACHE) return [environment.HF_HUB_CACHE];
  if (environment.HF_HOME) return [join(environment.HF_HOME, "hub")];
  return [join(homedir(), ".cache", "huggingface", "hub")];
}

function snapshotOfHubId(hubId: string, roots: readonly string[]): string {
  const folder = `models--${hubId.replace(/\//g, "--")}`;
  for (const root of roots) {
    const snapshots = join(root, folder, "snapshots");
    if (!existsSync(snapshots)) continue;
    const refMain = join(root, folder, "refs", "main");
    if (existsSync(refMain)) {
      const revision = readFileSync(refMain, "utf8").trim();
      if (existsSync(join(snapshots, revision))) return join(snapshots, revision);
    }
    const revisions = readdirSync(snapshots)
      .map((name) => ({ name, time: statSync(join(snapshots, name)).mtimeMs }))
      .sort((a, b) => b.time - a.time);
    if (revisions[0]) return join(snapshots, revisions[0].name);
  }
  throw new ConfigError(
    `tokenizer "${hubId}" is neither a directory nor in the local Hugging Face cache (looked in ${roots
      .map((root) => join(root, folder, "snapshots"))
      .join(
        ", ",
      )}); drkit never downloads: pass --tokenizer <snapshot dir> or fetch the model with huggingface-cli first`,
  );
}

function required(directory: string, file: string): string {
  const path = join(directory, file);
  if (!existsSync(path))
    throw new ConfigError(
      `the tokenizer snapshot has no ${file} (looked for ${path}); point --tokenizer at a Hugging Face model directory that has tokenizer.json and tokenizer_config.json`,
    );
  return readFileSync(path, "utf8");
}

function optional(directory: string, file: string): string | undefined {
  const path = join(directory, file);
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** Read the tokenizer files of `source` (a directory, or a hub id in the local cache). */
export function readSnapshot(source: string, environment: NodeJS.ProcessEnv = process.env): SnapshotFiles {
  const isDirectory = existsSync(source) && statSync(source).isDirectory();
  if (!isDirectory && !/^[\w.-]+\/[\w.-]+$/.test(source))
    throw new ConfigError(`tokenizer "${source}" is not a directory and not a hub id of the form Org/Name`);
  const directory = isDirectory ? source : snapshotOfHubId(source, hubCacheRoots(environment));
  const files: SnapshotFiles = {
    directory,
    name: isDirectory ? directory : source,
    tokenizerJson: required(directory, "tokenizer.json"),
    tokenizerConfigJson: required(directory, "tokenizer_config.json"),
  };
  const generation = optional(directory, "generation_config.json");
  if (generation !== undefined) files.generationConfigJson = generation;
  const template = optional(directory, "chat_template.jinja");
  if (template !== undefined) files.chatTemplateFile = template;
  return files;
}
