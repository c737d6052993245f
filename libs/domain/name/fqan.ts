/**
 * VOMS Fully Qualified Attribute Names (mapping.md §1.2, policy-language.md §5.2).
 * VOMS issues the long form `/atlas/prod/Role=NULL/Capability=NULL`; policies and map files use short forms
 * (`/atlas/prod`, `/atlas/Role=pilot`). A missing or NULL (any case) role or capability means NULL, the
 * keywords are case-insensitive, values and group names are case-sensitive, a trailing "/" on the group is dropped.
 */
export class FqanSyntaxError extends Error {
  override readonly name = 'FqanSyntaxError';
}

export class Fqan {
  private constructor(
    /** Group path without trailing slash, e.g. `/atlas/prod`. */
    readonly group: string,
    /** Role value, or null for NULL. */
    readonly role: string | null,
    /** Capability value, or null for NULL (deprecated in VOMS, still carried). */
    readonly capability: string | null,
    /** The text as the credential or file carried it, for logging and byte-exact consumers such as LCMAPS. */
    readonly original: string,
  ) {}

  static parse(text: string): Fqan {
    if (!text.startsWith('/')) throw new FqanSyntaxError(`FQAN must start with "/": "${text}"`);
    const parts = text.split('/').slice(1);
    const groupParts: string[] = [];
    let role: string | null | undefined;
    let capability: string | null | undefined;
    for (const [index, part] of parts.entries()) {
      const eq = part.indexOf('=');
      if (eq < 0) {
        if (role !== undefined || capability !== undefined) throw new FqanSyntaxError(`group component after Role/Capability in "${text}"`);
        if (part === '') {
          if (index === parts.length - 1 && groupParts.length > 0) continue; // trailing slash
          throw new FqanSyntaxError(`empty group component in "${text}"`);
        }
        groupParts.push(part);
        continue;
      }
      const keyword = part.slice(0, eq).toLowerCase();
      const value = part.slice(eq + 1);
      const normalised = value === '' || value.toUpperCase() === 'NULL' ? null : value;
      if (keyword === 'role' && role === undefined) role = normalised;
      else if (keyword === 'capability' && capability === undefined) capability = normalised;
      else throw new FqanSyntaxError(`unexpected component "${part}" in "${text}"`);
    }
    if (groupParts.length === 0) throw new FqanSyntaxError(`FQAN has no group: "${text}"`);
    return new Fqan(`/${groupParts.join('/')}`, role ?? null, capability ?? null, text);
  }

  static tryParse(text: string): Fqan | undefined {
    try {
      return Fqan.parse(text);
    } catch {
      return undefined;
    }
  }

  /** The VO is the first group component. */
  get vo(): string {
    return this.group.split('/')[1] as string;
  }

  /** `/atlas/Role=NULL/Capability=NULL`: the form VOMS issues and LCMAPS sees. */
  toLong(): string {
    return `${this.group}/Role=${this.role ?? 'NULL'}/Capability=${this.capability ?? 'NULL'}`;
  }

  /** `/atlas`, `/atlas/Role=pilot`: the form used in map files, policies and newer VOMS tools. */
  toShort(): string {
    let out = this.group;
    if (this.role !== null) out += `/Role=${this.role}`;
    if (this.capability !== null) out += `/Capability=${this.capability}`;
    return out;
  }

  /** Argus's FQANEqualFunction: group, role and capability all equal. */
  equals(other: Fqan): boolean {
    return this.group === other.group && this.role === other.role && this.capability === other.capability;
  }

  toString(): string {
    return this.toLong();
  }

  toJSON(): string {
    return this.toLong();
  }
}
