import { runCli } from "@manageos/core";
import { variant } from "./variant.js";

process.exitCode = await runCli(variant, process.argv.slice(2));
