/** Types of terraform-binaries.mjs, for the tests and the bench that import it. */
export interface TerraformBinary {
  /** "terraform", "tofu", or "terraform-path" for the one found on PATH. */
  name: string;
  kind: "terraform" | "tofu";
  version: string;
  path: string;
  /** How it was obtained (the go command, or PATH). */
  origin: string;
}
export interface BuiltBinarySpec {
  name: string;
  kind: "terraform" | "tofu";
  version: string;
  origin: string;
  module?: string;
  pkg?: string;
}
export declare const BUILT_BINARIES: readonly BuiltBinarySpec[];
export declare function terraformCacheDir(): string;
export declare function terraformOnPath(): TerraformBinary | null;
export declare function ensureTerraformBinary(name: string, opts?: { log?: (line: string) => void }): Promise<TerraformBinary>;
export declare function ensureTerraformBinaries(opts?: { log?: (line: string) => void; includePath?: boolean }): Promise<TerraformBinary[]>;
