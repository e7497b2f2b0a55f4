/**
 * Options helpers: each component declares its options once, as an {@link OptionSpec} map with defaults, units and
 * docs, and resolves user input with {@link resolveOptions}. Unknown keys are rejected with an error that names the
 * key and the known keys; values given as strings (from .properties files or argv) are parsed to the declared type.
 */
import { MqError } from './errors';

export type OptionType = 'string' | 'number' | 'boolean';

export interface OptionDef<T> {
  type: OptionType;
  /** The default value. */
  default: T;
  /** One line of documentation, including the unit. */
  doc: string;
  /** Inclusive bounds for numbers. */
  min?: number;
  max?: number;
  /** Allowed values for strings. */
  values?: readonly string[];
}

export type OptionSpec = Record<string, OptionDef<unknown>>;

/** The resolved option object of a spec. */
export type Resolved<S extends OptionSpec> = { readonly [K in keyof S]: S[K]['default'] };

/** Number and boolean defaults resolve to `number` and `boolean`, not to the literal type of the default. */
export type Widen<T> = T extends number ? number : T extends boolean ? boolean : T;

/**
 * Builds an option definition with its type inferred from the default. Numbers and booleans are widened; a string
 * keeps its literal type unless the caller names the type (`opt<'A' | 'B'>('A', …)` or `opt<string>(…)`).
 */
export function opt<T extends string | number | boolean>(
  def: T,
  doc: string,
  extra: Omit<OptionDef<Widen<T>>, 'type' | 'default' | 'doc'> = {},
): OptionDef<Widen<T>> {
  const type = typeof def as OptionType;
  return Object.freeze({ type, default: def as Widen<T>, doc, ...extra });
}

/** The frozen defaults object of a spec. */
export function defaultsOf<S extends OptionSpec>(spec: S): Resolved<S> {
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(spec)) out[k] = d.default;
  return Object.freeze(out) as Resolved<S>;
}

function parseValue(key: string, def: OptionDef<unknown>, raw: unknown, component: string): unknown {
  if (def.type === 'number') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : NaN;
    if (!Number.isFinite(n)) {
      throw new MqError('INVALID_OPTION', `${component}: option ${key} must be a number, got ${JSON.stringify(raw)}`, {
        details: { option: key },
      });
    }
    if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
      throw new MqError(
        'INVALID_OPTION',
        `${component}: option ${key}=${n} is out of range [${def.min ?? '-inf'}, ${def.max ?? 'inf'}]`,
        { details: { option: key } },
      );
    }
    return n;
  }
  if (def.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    const s = String(raw).trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no' || s === '') return false;
    throw new MqError('INVALID_OPTION', `${component}: option ${key} must be true or false, got ${JSON.stringify(raw)}`, {
      details: { option: key },
    });
  }
  const s = typeof raw === 'string' ? raw : String(raw);
  if (def.values && !def.values.includes(s)) {
    throw new MqError(
      'INVALID_OPTION',
      `${component}: option ${key} must be one of ${def.values.join(', ')}, got ${JSON.stringify(s)}`,
      { details: { option: key } },
    );
  }
  return s;
}

/**
 * Resolves `input` against `spec`: fills defaults, parses strings, checks ranges and rejects unknown keys.
 * @param component used in error messages, e.g. `broker`.
 */
export function resolveOptions<S extends OptionSpec>(
  spec: S,
  input: Record<string, unknown> = {},
  component = 'options',
): Resolved<S> {
  const out: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    const def = spec[k];
    if (!def) {
      const known = Object.keys(spec).sort().join(', ');
      throw new MqError('INVALID_OPTION', `${component}: unknown option ${k}; known options: ${known}`, {
        details: { option: k },
      });
    }
    out[k] = parseValue(k, def, raw, component);
  }
  for (const [k, d] of Object.entries(spec)) if (!(k in out)) out[k] = d.default;
  return Object.freeze(out) as Resolved<S>;
}

/** Renders a spec as help text: one line per option with its default. */
export function describeOptions(spec: OptionSpec): string {
  const keys = Object.keys(spec).sort();
  const width = Math.max(...keys.map((k) => k.length), 4);
  return keys
    .map((k) => {
      const d = spec[k];
      const def = d.default === '' ? '""' : String(d.default);
      return `  --${k.padEnd(width)}  ${d.doc} (default ${def})`;
    })
    .join('\n');
}
