/** Types of mirror.mjs, for the tests that import it. */
export declare const PROVIDER_SOURCE: string;
export declare const DEFAULT_VERSION: string;
export declare function platformName(): string;
export declare function layOutMirror(options: { mirrorDir: string; version?: string; cliConfig?: string }): {
  mirror: string;
  packageDir: string;
  executable: string;
  cliConfigFile: string | undefined;
};
