import pkg from "../package.json" with { type: "json" };

/** The manageos version, from the core package. */
export const MANAGEOS_VERSION: string = pkg.version;
