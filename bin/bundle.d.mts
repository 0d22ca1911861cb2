// Types of bundle.mjs (plain JS so bin/slipway.mjs runs without a loader).
export declare const ROOT: string;
export declare const BUNDLE: string;
/** Undefined when the bundle can run; otherwise why not. */
export declare function bundleStaleness(): string | undefined;
export declare function loadBundle(file?: string): { main: (argv: string[]) => Promise<number>; saveCache(): void };
