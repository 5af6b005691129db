import { runApp } from "@manageos/core";
import { mindreaderDaemon } from "@manageos/mindreader";
import { nodeosDaemon } from "@manageos/superviser";
import { variant } from "./variant.js";

await runApp(variant, mindreaderDaemon(nodeosDaemon));
