/**
 * Loads the Lua scripts of the Redis backend from src/coord/lua.
 *
 * Each command is one file `<name>-<numKeys>.lua` with an Input/Output header; `lib.lua` (shared helpers) is
 * prepended to each before ioredis' defineCommand. The build (tsc + scripts/copy-gen.js) does not copy .lua files
 * to dist/, so the folder is looked up next to this module first (running from src/, e.g. with ts-node) and then
 * at <repo>/src/coord/lua from dist/src/coord (the compiled module) — both work from a checkout or an npm package
 * that ships src/coord/lua.
 */
import fs from 'fs';
import path from 'path';
import { MqError } from '../common';

export interface LuaScript {
  /** The file's base name, e.g. "claim". */
  readonly name: string;
  /** How many of the arguments are keys (from the file name). */
  readonly numberOfKeys: number;
  /** lib.lua followed by the script. */
  readonly lua: string;
}

/** Where the .lua files may be, in order of preference. */
export function luaDirCandidates(): string[] {
  return [path.join(__dirname, 'lua'), path.join(__dirname, '..', '..', '..', 'src', 'coord', 'lua')];
}

let cached: LuaScript[] | undefined;

/** Reads every script once per process. Throws MqError('INTERNAL') when the folder cannot be found. */
export function loadScripts(): LuaScript[] {
  if (cached) return cached;
  const dir = luaDirCandidates().find((d) => fs.existsSync(path.join(d, 'lib.lua')));
  if (!dir) {
    throw new MqError('INTERNAL', `coord: Lua scripts not found in ${luaDirCandidates().join(' or ')}`);
  }
  const lib = fs.readFileSync(path.join(dir, 'lib.lua'), 'utf8');
  const out: LuaScript[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    const m = /^([a-z]+)-(\d+)\.lua$/.exec(file);
    if (!m) continue;
    out.push({ name: m[1], numberOfKeys: Number(m[2]), lua: `${lib}\n${fs.readFileSync(path.join(dir, file), 'utf8')}` });
  }
  cached = out;
  return out;
}
