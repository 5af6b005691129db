import { runApp } from "@manageos/core";
import { nodeosDaemon } from "@manageos/superviser";
import { variant } from "./variant.js";

await runApp(variant, nodeosDaemon);
