import { defineError } from "./catalogue.js";

/** The core package's errors. Codes are stable: never renamed, never reused. */
export const CoreErrors = {
  configInvalid: defineError(
    "CORE_ERR_CONFIG_INVALID",
    400,
    (problems: string[]) => `invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`,
  ),
  configFileRead: defineError(
    "CORE_ERR_CONFIG_FILE_READ",
    400,
    (path: string, reason: string) => `cannot read config file ${path}: ${reason}`,
  ),
  configYaml: defineError(
    "CORE_ERR_CONFIG_YAML",
    400,
    (path: string, reason: string) => `config file ${path} is not valid YAML: ${reason}`,
  ),
  atomicWrite: defineError("CORE_ERR_ATOMIC_WRITE", 500, (path: string, reason: string) => `cannot write ${path}: ${reason}`),
  jsonFileCorrupt: defineError(
    "CORE_ERR_JSON_FILE_CORRUPT",
    500,
    (path: string, reason: string) => `state file ${path} is not valid JSON: ${reason}`,
  ),
  internal: defineError("CORE_ERR_INTERNAL", 500, (reason: string) => `internal error: ${reason}`),
};
