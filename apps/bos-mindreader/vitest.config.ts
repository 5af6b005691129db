import { defineConfig } from "vitest/config";
import { sharedVitest } from "../../vitest.shared.js";

export default defineConfig(sharedVitest());
